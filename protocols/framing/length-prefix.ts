// Big-endian length-prefixed frames: a 2- or 4-byte unsigned length N, then N payload bytes.
// Used by length32 (dispatcher, broker) and length16 (lottery protocol B).
//
// Hot path: a frame wholly inside a chunk is returned as a subarray (no copy). A frame that spans
// chunks is copied once into a buffer allocated when its length is known (no Buffer.concat).
// A decoder made with a `cut` hands out what the cut makes of a frame's bytes instead (the
// dispatcher's text frames: the UTF-8 text read straight from the chunk, with no view between).

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { asBuffer, EMPTY, tooLarge } from './bytes.ts';
import type { FrameDecoder, Framer } from './types.ts';

export type PrefixSize = 2 | 4;

export interface LengthPrefixOptions {
  /** Largest payload (bytes, excluding the prefix). Required: there is no implicit default. */
  maxFrameSize: number;
  /** Accept a zero length (default false: a zero length is an 'empty-frame' error). */
  allowEmpty?: boolean;
}

const PREFIX_CEILING: Record<PrefixSize, number> = { 2: 0xffff, 4: 0xffffffff };

export function checkPrefixOptions(prefix: PrefixSize, options: LengthPrefixOptions): void {
  const max = options.maxFrameSize;
  if (!Number.isSafeInteger(max) || max < 0 || max > PREFIX_CEILING[prefix]) {
    throw new RangeError(`maxFrameSize must be an integer in 0..${PREFIX_CEILING[prefix]} for a ${prefix}-byte prefix, got ${max}`);
  }
}

/** The prefix bytes for a payload of `length` bytes (for writev-style sends without copying the payload). */
export function encodePrefix(prefix: PrefixSize, length: number, options: LengthPrefixOptions): Buffer {
  checkLength(prefix, length, options);
  const header = Buffer.allocUnsafe(prefix);
  if (prefix === 4) header.writeUInt32BE(length, 0);
  else header.writeUInt16BE(length, 0);
  return header;
}

/** Prefix + payload in one buffer. Throws ProtocolError if the payload is too large or empty (unless allowed). */
export function encodeLengthPrefixed(prefix: PrefixSize, payload: Uint8Array, options: LengthPrefixOptions): Buffer {
  const length = payload.byteLength;
  checkLength(prefix, length, options);
  const out = Buffer.allocUnsafe(prefix + length);
  if (prefix === 4) out.writeUInt32BE(length, 0);
  else out.writeUInt16BE(length, 0);
  out.set(payload, prefix);
  return out;
}

function checkLength(prefix: PrefixSize, length: number, options: LengthPrefixOptions): void {
  if (length > options.maxFrameSize) throw tooLarge(`length${prefix * 8} payload`, length, options.maxFrameSize);
  if (length === 0 && options.allowEmpty !== true) {
    throw new ProtocolError('empty-frame', `length${prefix * 8} framing does not allow an empty payload`);
  }
}

/** What a decoder hands out for the frame lying in `buf[start, end)` (the default: a view of those bytes). */
export type FrameCut<F> = (buf: Buffer, start: number, end: number) => F;

/** A frame's UTF-8 text, decoded from the chunk it lies in (no view made for it). */
export const utf8Cut: FrameCut<string> = (buf, start, end) => buf.toString('utf8', start, end);

export class LengthPrefixDecoder<F = Buffer> implements FrameDecoder<F> {
  readonly #prefix: PrefixSize;
  readonly #max: number;
  readonly #allowEmpty: boolean;
  /** Prefix bytes received so far when the prefix straddles chunks. */
  readonly #header: Buffer;
  #headerHave = 0;
  /** Frame being assembled across chunks, or null. */
  #body: Buffer | null = null;
  #bodyHave = 0;
  /** Stream offset of the start of the next chunk. */
  #base = 0;
  /** Stream offset of the current frame's prefix. */
  #frameStart = 0;
  #error: ProtocolError | null = null;
  /** null: frames are views (Buffers) of the chunk, or the assembled buffer itself. */
  readonly #cut: FrameCut<F> | null;

  constructor(prefix: PrefixSize, options: LengthPrefixOptions, cut?: FrameCut<F>) {
    checkPrefixOptions(prefix, options);
    this.#cut = cut ?? null;
    this.#prefix = prefix;
    this.#max = options.maxFrameSize;
    this.#allowEmpty = options.allowEmpty === true;
    this.#header = Buffer.alloc(prefix);
  }

  get error(): ProtocolError | null {
    return this.#error;
  }

  get buffered(): number {
    return this.#headerHave + this.#bodyHave;
  }

  push(chunk: Uint8Array): F[] {
    const out: F[] = [];
    const cut = this.#cut;
    if (this.#error !== null) return out;
    const buf = asBuffer(chunk);
    const n = buf.length;
    const P = this.#prefix;
    let pos = 0;
    while (pos < n) {
      // 1. continue a frame that spans chunks
      const body = this.#body;
      if (body !== null) {
        const take = Math.min(body.length - this.#bodyHave, n - pos);
        buf.copy(body, this.#bodyHave, pos, pos + take);
        this.#bodyHave += take;
        pos += take;
        if (this.#bodyHave === body.length) {
          out.push(cut === null ? (body as F) : cut(body, 0, body.length));
          this.#body = null;
          this.#bodyHave = 0;
        }
        continue;
      }
      // 2. read the prefix
      let length: number;
      if (this.#headerHave === 0 && n - pos >= P) {
        this.#frameStart = this.#base + pos;
        length = P === 4 ? buf.readUInt32BE(pos) : buf.readUInt16BE(pos);
        pos += P;
      } else {
        if (this.#headerHave === 0) this.#frameStart = this.#base + pos;
        const take = Math.min(P - this.#headerHave, n - pos);
        buf.copy(this.#header, this.#headerHave, pos, pos + take);
        this.#headerHave += take;
        pos += take;
        if (this.#headerHave < P) break;
        this.#headerHave = 0;
        length = P === 4 ? this.#header.readUInt32BE(0) : this.#header.readUInt16BE(0);
      }
      // 3. validate it before buffering anything
      if (length > this.#max) {
        this.#error = tooLarge(`length${P * 8} frame`, length, this.#max, this.#frameStart);
        break;
      }
      if (length === 0) {
        if (!this.#allowEmpty) {
          this.#error = new ProtocolError('empty-frame', `length${P * 8} frame with a zero length`, this.#frameStart);
          break;
        }
        out.push(cut === null ? (EMPTY as F) : cut(EMPTY, 0, 0));
        continue;
      }
      // 4. the payload: zero-copy when it is all here, else start assembling
      if (n - pos >= length) {
        out.push(cut === null ? (buf.subarray(pos, pos + length) as F) : cut(buf, pos, pos + length));
        pos += length;
      } else {
        const assembled = Buffer.allocUnsafe(length);
        buf.copy(assembled, 0, pos, n);
        this.#body = assembled;
        this.#bodyHave = n - pos;
        pos = n;
      }
    }
    this.#base += n;
    return out;
  }

  end(): ProtocolError | null {
    if (this.#error !== null) return this.#error;
    if (this.#headerHave > 0 || this.#body !== null) {
      const need = this.#body !== null ? this.#body.length - this.#bodyHave : this.#prefix - this.#headerHave;
      return new ProtocolError(
        'truncated',
        `stream ended inside a length${this.#prefix * 8} frame (${need} more bytes expected)`,
        this.#frameStart,
      );
    }
    return null;
  }
}

/** The Framer of a length-prefixed format; the options are checked once, here. */
export function lengthPrefixFramer(name: 'length16' | 'length32', prefix: PrefixSize, options: LengthPrefixOptions, decoder: (o: LengthPrefixOptions) => LengthPrefixDecoder): Framer {
  const opts = { ...options };
  decoder(opts); // validates the options now
  return {
    name,
    maxFrameSize: opts.maxFrameSize,
    encode: (payload) => encodeLengthPrefixed(prefix, payload, opts),
    decoder: () => decoder(opts),
  };
}
