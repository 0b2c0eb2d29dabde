// Small UTF-8 replies framed into a shared slab, as Node's own Buffer pool hands out small
// buffers, with one difference: a text is encoded before its byte length is known (room for its
// worst case, 3 bytes per UTF-16 unit, is reserved), so a frame costs one encoding pass instead of
// a length pass and a write pass (ASCII-only texts, legacy-tx's, know their length already and do
// not come here). A frame is a view of the slab; a full slab is left to the frames still using it
// and a new one begins (nothing is ever written twice). Pure: no I/O.

import { Buffer } from 'node:buffer';

/** 8 KiB like Node's pool: a slow reader that holds one small frame keeps at most this much alive. */
const SLAB_BYTES = 8 * 1024;
/** Runs of texts up to this many UTF-16 units in all are framed in the slab (the worst case fits in it). */
export const SLAB_MAX_UNITS = 512;

let slab: Buffer = Buffer.allocUnsafeSlow(SLAB_BYTES);
let at = 0;

/** Starts a new slab unless `worst` bytes fit in what is left; returns where to write. */
function reserve(worst: number): number {
  if (at + worst > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    at = 0;
  }
  return at;
}

/** Ends a frame at `end`: the next one starts 8-aligned after it. Returns the frame. */
function finish(start: number, end: number): Buffer {
  at = (end + 7) & ~7;
  return slab.subarray(start, end);
}

/** `length32` (4-byte big-endian length, then the text) or `ndjson` (the text, then LF) around one text of at most SLAB_MAX_UNITS units. */
export function frameInSlab(mode: 'length32' | 'ndjson', text: string): Buffer {
  const start = reserve(3 * text.length + 4);
  if (mode === 'length32') {
    const n = slab.write(text, start + 4, 'utf8');
    slab.writeUInt32BE(n, start);
    return finish(start, start + 4 + n);
  }
  const end = start + slab.write(text, start, 'utf8');
  slab[end] = 0x0a;
  return finish(start, end + 1);
}

/** The first `n` texts, each framed, in one view; null when they are more than SLAB_MAX_UNITS units in all. */
export function framesInSlab(mode: 'length32' | 'ndjson', texts: readonly string[], n: number): Buffer | null {
  let units = 0;
  for (let i = 0; i < n; i++) units += texts[i].length;
  if (units > SLAB_MAX_UNITS) return null;
  const start = reserve(3 * units + 4 * n);
  let off = start;
  for (let i = 0; i < n; i++) {
    if (mode === 'length32') {
      const w = slab.write(texts[i], off + 4, 'utf8');
      slab.writeUInt32BE(w, off);
      off += 4 + w;
    } else {
      off += slab.write(texts[i], off, 'utf8');
      slab[off++] = 0x0a;
    }
  }
  return finish(start, off);
}
