// The replies of one write, framed into one buffer (dispatcher.md §3.2): a connection keeps its
// replies as texts until they are next in seq order, then frames the whole run at once, so a write
// costs one allocation instead of a buffer per reply plus their concatenation. Byte for byte what
// encodeFrame gives for each text, concatenated (specs/dispatcher/reply-frames.test.ts).

import { Buffer } from 'node:buffer';
import { encodeFrame, framesInSlab, type DispatchFraming } from '../../protocols/dispatcher/index.ts';

/** Byte lengths of the texts of the batch being framed (reused). */
let lengths = new Int32Array(64);

/**
 * The first `n` of `texts` (default: all) framed in `mode`, in order, in one buffer. `ascii`:
 * every text is pure ASCII (latin1 is exact and faster).
 */
export function encodeFrames(mode: DispatchFraming, texts: readonly string[], ascii: boolean, n = texts.length): Buffer {
  if (n === 1) return encodeFrame(mode, texts[0], ascii);
  if (!ascii && mode !== 'legacy') {
    const small = framesInSlab(mode, texts, n);
    if (small !== null) return small;
  }
  if (lengths.length < n) lengths = new Int32Array(n * 2);
  const enc = ascii ? 'latin1' : 'utf8';
  const extra = mode === 'length32' ? 4 : mode === 'ndjson' ? 1 : 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const len = ascii ? texts[i].length : Buffer.byteLength(texts[i], 'utf8');
    lengths[i] = len;
    total += len + extra;
  }
  const b = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const len = lengths[i];
    if (mode === 'length32') off = b.writeUInt32BE(len, off);
    off += b.write(texts[i], off, len, enc);
    if (mode === 'ndjson') b[off++] = 0x0a;
  }
  return b;
}
