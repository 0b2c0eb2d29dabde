// Fixed-size header framing: a header of `headerSize` bytes that holds the body length, then the
// body, then an optional fixed trailer (e.g. "\n"). Built for lottery protocol A (lottery.md §6.1):
//
//   client BET: 23-byte header  "BET" + size (8 ASCII digits) + count (4) + batch id (8), body, "\n"
//               -> { headerSize: 23, length: decimalLength(3, 8), trailer: "\n" }
//   client FIN: "FIN" + 20 chars + "\n" (a 23-byte "header" with a zero-length body, trailer "\n")
//               -> a custom `length` function can return 0 for FIN and the BET size otherwise
//   server ACK: 12-byte header "ACK," + size (8 digits), body = size bytes, then "\n" (not counted)
//               -> { headerSize: 12, length: decimalLength(4, 8), trailer: "\n" }
//   server WIN: 12-byte header "WIN," + size (8 digits), body, no trailer
//               -> { headerSize: 12, length: decimalLength(4, 8) }
//
// Frames are { header, body }: the header is kept because it carries more than the length
// (message type, counts, ids). The trailer is checked and dropped. Errors follow framing/types.ts:
// the decoder never throws; a bad length field is 'malformed', a body over maxBodySize is
// 'frame-too-large', a wrong trailer is 'malformed', each at its stream offset.

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { asBuffer, checkMax, EMPTY, tooLarge } from './bytes.ts';
import type { FrameDecoder } from './types.ts';

export interface HeaderFrame {
  header: Buffer;
  body: Buffer;
}

/**
 * Reads the body length from a complete header. Returns the length, or a ProtocolError (its offset
 * relative to the header start; the decoder rebases it to the stream offset).
 */
export type LengthReader = (header: Buffer) => number | ProtocolError;

/** Writes `length` into a copy of the header (for encode). */
export type LengthWriter = (header: Buffer, length: number) => void;

export interface LengthField {
  read: LengthReader;
  write: LengthWriter;
  /** Largest length the field can hold. */
  capacity: number;
}

/** A zero-padded ASCII decimal length of `width` digits at `offset` (lottery protocol A). */
export function decimalLength(offset: number, width: number): LengthField {
  if (!Number.isInteger(width) || width < 1 || width > 15) throw new RangeError(`decimal width must be 1..15, got ${width}`);
  return {
    capacity: 10 ** width - 1,
    read(header) {
      let value = 0;
      for (let i = offset; i < offset + width; i++) {
        const d = header[i] - 0x30;
        if (!(d >= 0 && d <= 9)) {
          return new ProtocolError('malformed', `length field byte ${i - offset} is not a decimal digit`, i);
        }
        value = value * 10 + d;
      }
      return value;
    },
    write(header, length) {
      header.write(String(length).padStart(width, '0'), offset, width, 'latin1');
    },
  };
}

/** An unsigned big-endian binary length of `width` (1..6) bytes at `offset`. */
export function binaryLength(offset: number, width: number): LengthField {
  if (!Number.isInteger(width) || width < 1 || width > 6) throw new RangeError(`binary width must be 1..6, got ${width}`);
  return {
    capacity: 2 ** (8 * width) - 1,
    read: (header) => header.readUIntBE(offset, width),
    write: (header, length) => {
      header.writeUIntBE(length, offset, width);
    },
  };
}

export interface FixedHeaderOptions {
  headerSize: number;
  /** Where the body length lives; `read` may also be a custom function (see FIN above). */
  length: LengthField | { read: LengthReader; write?: LengthWriter; capacity?: number };
  /** Largest body. Required. */
  maxBodySize: number;
  /** Bytes expected after the body (checked, then dropped). */
  trailer?: Uint8Array | string;
  /** Extra header check (magic bytes, type); return an error with an offset relative to the header. */
  validateHeader?: (header: Buffer) => ProtocolError | null;
}

interface Resolved {
  headerSize: number;
  read: LengthReader;
  write: LengthWriter | undefined;
  capacity: number;
  max: number;
  trailer: Buffer;
  validate: ((header: Buffer) => ProtocolError | null) | undefined;
}

function resolve(o: FixedHeaderOptions): Resolved {
  if (!Number.isInteger(o.headerSize) || o.headerSize < 1 || o.headerSize > 4096) {
    throw new RangeError(`headerSize must be 1..4096, got ${o.headerSize}`);
  }
  const trailer = o.trailer === undefined ? EMPTY : typeof o.trailer === 'string' ? Buffer.from(o.trailer, 'utf8') : Buffer.from(o.trailer);
  return {
    headerSize: o.headerSize,
    read: o.length.read,
    write: o.length.write,
    capacity: o.length.capacity ?? Number.MAX_SAFE_INTEGER,
    max: checkMax('maxBodySize', o.maxBodySize, 2 ** 32),
    trailer,
    validate: o.validateHeader,
  };
}

function rebase(error: ProtocolError, base: number): ProtocolError {
  return new ProtocolError(error.code, error.detail, base + (error.offset ?? 0));
}

/**
 * header (headerSize bytes; its length field is overwritten) + body + trailer. Throws ProtocolError
 * when the body is too large or the header has the wrong size / fails validateHeader.
 */
export function encodeFixedHeader(header: Uint8Array, body: Uint8Array, options: FixedHeaderOptions): Buffer {
  const o = resolve(options);
  if (header.byteLength !== o.headerSize) {
    throw new ProtocolError('malformed', `header must be ${o.headerSize} bytes, got ${header.byteLength}`);
  }
  const limit = Math.min(o.max, o.capacity);
  if (body.byteLength > limit) throw tooLarge('body', body.byteLength, limit);
  if (o.write === undefined) throw new RangeError('this length field has no writer');
  const out = Buffer.allocUnsafe(o.headerSize + body.byteLength + o.trailer.length);
  out.set(header, 0);
  const h = out.subarray(0, o.headerSize);
  o.write(h, body.byteLength);
  const check = o.validate?.(h) ?? null;
  if (check !== null) throw check;
  const declared = o.read(h);
  if (declared !== body.byteLength) {
    throw typeof declared === 'number'
      ? new ProtocolError('malformed', `header declares ${declared} bytes for a ${body.byteLength}-byte body`)
      : declared;
  }
  out.set(body, o.headerSize);
  o.trailer.copy(out, o.headerSize + body.byteLength);
  return out;
}

export class FixedHeaderDecoder implements FrameDecoder<HeaderFrame> {
  readonly #o: Resolved;
  readonly #header: Buffer;
  #headerHave = 0;
  #body: Buffer | null = null;
  #bodyHave = 0;
  #trailerHave = 0;
  /** 0 header, 1 body, 2 trailer */
  #phase = 0;
  #base = 0;
  #frameStart = 0;
  #frameHeader: Buffer = EMPTY;
  #error: ProtocolError | null = null;

  constructor(options: FixedHeaderOptions) {
    this.#o = resolve(options);
    this.#header = Buffer.alloc(this.#o.headerSize);
  }

  get error(): ProtocolError | null {
    return this.#error;
  }

  get buffered(): number {
    return this.#headerHave + this.#bodyHave + this.#trailerHave;
  }

  push(chunk: Uint8Array): HeaderFrame[] {
    const out: HeaderFrame[] = [];
    if (this.#error !== null) return out;
    const buf = asBuffer(chunk);
    const n = buf.length;
    const o = this.#o;
    let pos = 0;
    for (;;) {
      if (this.#phase === 0) {
        if (pos >= n) break;
        if (this.#headerHave === 0) this.#frameStart = this.#base + pos;
        let header: Buffer;
        if (this.#headerHave === 0 && n - pos >= o.headerSize) {
          header = buf.subarray(pos, pos + o.headerSize);
          pos += o.headerSize;
        } else {
          const take = Math.min(o.headerSize - this.#headerHave, n - pos);
          buf.copy(this.#header, this.#headerHave, pos, pos + take);
          this.#headerHave += take;
          pos += take;
          if (this.#headerHave < o.headerSize) break;
          this.#headerHave = 0;
          header = Buffer.from(this.#header);
        }
        this.#startBody(header);
        if (this.#error !== null) break;
      }
      if (this.#phase === 1) {
        if (pos >= n) break;
        const body = this.#body as Buffer;
        const take = Math.min(body.length - this.#bodyHave, n - pos);
        buf.copy(body, this.#bodyHave, pos, pos + take);
        this.#bodyHave += take;
        pos += take;
        if (this.#bodyHave < body.length) break;
        this.#phase = 2;
      }
      const trailer = o.trailer;
      while (this.#trailerHave < trailer.length && pos < n) {
        if (buf[pos] !== trailer[this.#trailerHave]) {
          this.#error = new ProtocolError(
            'malformed',
            `expected trailer byte 0x${trailer[this.#trailerHave].toString(16)}, got 0x${buf[pos].toString(16)}`,
            this.#base + pos,
          );
          break;
        }
        this.#trailerHave++;
        pos++;
      }
      if (this.#error !== null || this.#trailerHave < trailer.length) break;
      out.push({ header: this.#frameHeader, body: this.#body as Buffer });
      this.#body = null;
      this.#bodyHave = 0;
      this.#trailerHave = 0;
      this.#phase = 0;
    }
    this.#base += n;
    return out;
  }

  #startBody(header: Buffer): void {
    const o = this.#o;
    const check = o.validate?.(header) ?? null;
    if (check !== null) {
      this.#error = rebase(check, this.#frameStart);
      return;
    }
    const length = o.read(header);
    if (typeof length !== 'number') {
      this.#error = rebase(length, this.#frameStart);
      return;
    }
    if (!Number.isSafeInteger(length) || length < 0) {
      this.#error = new ProtocolError('malformed', `invalid body length ${length}`, this.#frameStart);
      return;
    }
    if (length > o.max) {
      this.#error = tooLarge('body', length, o.max, this.#frameStart);
      return;
    }
    this.#frameHeader = header;
    this.#body = length === 0 ? EMPTY : Buffer.allocUnsafe(length);
    this.#bodyHave = 0;
    this.#trailerHave = 0;
    this.#phase = length === 0 ? 2 : 1;
  }

  end(): ProtocolError | null {
    if (this.#error !== null) return this.#error;
    if (this.#headerHave > 0 || this.#phase !== 0) {
      return new ProtocolError('truncated', 'stream ended inside a fixed-header frame', this.#frameStart);
    }
    return null;
  }
}
