// Reply (and client request) framing for the dispatcher's three modes (dispatcher.md §3.2).
// Decoding uses protocols/framing; encoding is here because each mode wraps a *string* payload
// and the dispatcher writes it in one allocation.

import { Buffer } from 'node:buffer';
import { createFramer } from '../framing/factory.ts';
import { frameInSlab, SLAB_MAX_UNITS } from './frame-slab.ts';
import { LengthPrefixDecoder, utf8Cut } from '../framing/length-prefix.ts';
import type { ProtocolError } from '../errors.ts';
import type { FrameDecoder } from '../framing/types.ts';

export type DispatchFraming = 'length32' | 'ndjson' | 'legacy';

export const DISPATCH_FRAMINGS: readonly DispatchFraming[] = ['length32', 'ndjson', 'legacy'];

/** A fresh incremental request decoder for one connection (see protocols/framing for the rules). */
export function requestDecoder(mode: DispatchFraming, maxFrameBytes: number): FrameDecoder<Buffer> {
  return createFramer(mode, { maxFrameSize: maxFrameBytes }).decoder();
}

/**
 * The same, handing out each request's UTF-8 text (what both protocols decode first): `length32`
 * decodes the text straight from the chunk the frame lies in, with no view of it in between.
 */
export function requestTextDecoder(mode: DispatchFraming, maxFrameBytes: number): FrameDecoder<string> {
  if (mode === 'length32') return new LengthPrefixDecoder<string>(4, { maxFrameSize: maxFrameBytes }, utf8Cut);
  return new TextFrames(requestDecoder(mode, maxFrameBytes));
}

/** A byte-frame decoder whose frames are handed out as their UTF-8 text. */
class TextFrames implements FrameDecoder<string> {
  readonly #bytes: FrameDecoder<Buffer>;
  constructor(bytes: FrameDecoder<Buffer>) {
    this.#bytes = bytes;
  }
  push(chunk: Uint8Array): string[] {
    const frames = this.#bytes.push(chunk);
    const out = new Array<string>(frames.length);
    for (let i = 0; i < frames.length; i++) out[i] = frames[i].toString('utf8');
    return out;
  }
  end(): ProtocolError | null {
    return this.#bytes.end();
  }
  get error(): ProtocolError | null {
    return this.#bytes.error;
  }
  get buffered(): number {
    return this.#bytes.buffered;
  }
}

/**
 * One frame around `payload`: `length32` prefixes the 4-byte big-endian length, `ndjson` appends
 * LF, `legacy` adds nothing. `ascii` says the string is pure ASCII (a faster, exact encoding).
 */
export function encodeFrame(mode: DispatchFraming, payload: string, ascii = false): Buffer {
  if (!ascii && mode !== 'legacy' && payload.length <= SLAB_MAX_UNITS) return frameInSlab(mode, payload);
  const enc = ascii ? 'latin1' : 'utf8';
  const len = ascii ? payload.length : Buffer.byteLength(payload, 'utf8');
  switch (mode) {
    case 'length32': {
      const b = Buffer.allocUnsafe(4 + len);
      b.writeUInt32BE(len, 0);
      b.write(payload, 4, len, enc);
      return b;
    }
    case 'ndjson': {
      const b = Buffer.allocUnsafe(len + 1);
      b.write(payload, 0, len, enc);
      b[len] = 0x0a;
      return b;
    }
    case 'legacy':
      return Buffer.from(payload, enc);
  }
}

/** The same for raw bytes (clients, tests). */
export function encodeFrameBytes(mode: DispatchFraming, payload: Uint8Array): Buffer {
  switch (mode) {
    case 'length32': {
      const b = Buffer.allocUnsafe(4 + payload.byteLength);
      b.writeUInt32BE(payload.byteLength, 0);
      b.set(payload, 4);
      return b;
    }
    case 'ndjson': {
      const b = Buffer.allocUnsafe(payload.byteLength + 1);
      b.set(payload, 0);
      b[payload.byteLength] = 0x0a;
      return b;
    }
    case 'legacy':
      return Buffer.from(payload);
  }
}
