// Newline-delimited frames (ndjson and the event dispatcher's text lines).
//
// A frame is the bytes before an LF (0x0A). Options:
// - maxFrameSize: the largest line, counted without the LF and without the CR that `stripCR` removes.
//   A longer line is 'frame-too-large' as soon as that is certain (the decoder never holds more than
//   maxFrameSize + 1 bytes of a partial line).
// - stripCR (default true): one CR right before the LF is removed, so CRLF is accepted.
// - skipEmpty (default true): empty lines (after CR stripping) produce no frame.
//   The event dispatcher uses { stripCR: false, skipEmpty: true }: an exactly empty line is skipped
//   and a lone "\r" line reaches the message parser (eventdispatcher.md §1.7).
// A final line without LF is not a frame: `end()` reports it as 'truncated'.

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { asBuffer, checkMax, PieceCollector, tooLarge } from './bytes.ts';
import type { FrameDecoder, Framer } from './types.ts';

const LF = 0x0a;
const CR = 0x0d;

export interface LinesOptions {
  /** Largest line in bytes (without its terminator). Required. */
  maxFrameSize: number;
  stripCR?: boolean;
  skipEmpty?: boolean;
}

interface ResolvedLines {
  max: number;
  stripCR: boolean;
  skipEmpty: boolean;
}

function resolve(options: LinesOptions): ResolvedLines {
  return {
    max: checkMax('maxFrameSize', options.maxFrameSize, 2 ** 32),
    stripCR: options.stripCR !== false,
    skipEmpty: options.skipEmpty !== false,
  };
}

/**
 * payload + LF. Throws ProtocolError when the payload contains an LF, is too long, ends with CR
 * (stripCR would eat it) or is empty (skipEmpty would drop it): such payloads would not round-trip.
 */
export function encodeLine(payload: Uint8Array, options: LinesOptions): Buffer {
  const o = resolve(options);
  return encodeResolved(payload, o);
}

function encodeResolved(payload: Uint8Array, o: ResolvedLines): Buffer {
  const length = payload.byteLength;
  if (length > o.max) throw tooLarge('line', length, o.max);
  const nl = payload.indexOf(LF);
  if (nl !== -1) throw new ProtocolError('malformed', 'a line payload cannot contain LF', nl);
  if (o.stripCR && length > 0 && payload[length - 1] === CR) {
    throw new ProtocolError('malformed', 'a line payload cannot end with CR when CRs are stripped', length - 1);
  }
  if (o.skipEmpty && length === 0) throw new ProtocolError('empty-frame', 'an empty line would be skipped by the decoder');
  const out = Buffer.allocUnsafe(length + 1);
  out.set(payload, 0);
  out[length] = LF;
  return out;
}

export class LinesDecoder implements FrameDecoder<Buffer> {
  readonly #o: ResolvedLines;
  readonly #partial = new PieceCollector();
  #lastByte = -1;
  #base = 0;
  #lineStart = 0;
  #error: ProtocolError | null = null;

  constructor(options: LinesOptions) {
    this.#o = resolve(options);
  }

  get error(): ProtocolError | null {
    return this.#error;
  }

  get buffered(): number {
    return this.#partial.length;
  }

  push(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    if (this.#error !== null) return out;
    const buf = asBuffer(chunk);
    const n = buf.length;
    const { max, stripCR, skipEmpty } = this.#o;
    let pos = 0;
    while (pos < n) {
      const nl = buf.indexOf(LF, pos);
      if (nl === -1) {
        const pending = this.#partial.length + (n - pos);
        const last = buf[n - 1];
        if (pending > max + 1 || (pending === max + 1 && !(stripCR && last === CR))) {
          this.#fail(tooLarge('line', pending, max, this.#lineStart));
          break;
        }
        this.#partial.add(buf, pos, n);
        this.#lastByte = last;
        break;
      }
      let length = this.#partial.length + (nl - pos);
      let end = nl;
      if (stripCR && length > 0) {
        const last = nl > pos ? buf[nl - 1] : this.#lastByte;
        if (last === CR) {
          length--;
          if (nl > pos) end = nl - 1;
        }
      }
      if (length > max) {
        this.#fail(tooLarge('line', length, max, this.#lineStart));
        break;
      }
      if (length > 0 || !skipEmpty) {
        let line: Buffer;
        if (this.#partial.length === 0) {
          line = buf.subarray(pos, end);
        } else {
          line = this.#partial.take(buf, pos, end);
          // the CR was already stored in the partial piece: drop it
          if (line.length > length) line = line.subarray(0, length);
        }
        out.push(line);
      }
      this.#partial.clear();
      this.#lastByte = -1;
      pos = nl + 1;
      this.#lineStart = this.#base + pos;
    }
    this.#base += n;
    return out;
  }

  #fail(error: ProtocolError): void {
    this.#error = error;
    this.#partial.clear();
  }

  end(): ProtocolError | null {
    if (this.#error !== null) return this.#error;
    if (this.#partial.length > 0) {
      return new ProtocolError('truncated', `stream ended inside a line (${this.#partial.length} bytes without LF)`, this.#lineStart);
    }
    return null;
  }
}

export function lines(options: LinesOptions): Framer {
  const o = resolve(options);
  const opts: LinesOptions = { maxFrameSize: o.max, stripCR: o.stripCR, skipEmpty: o.skipEmpty };
  return {
    name: 'lines',
    maxFrameSize: o.max,
    encode: (payload) => encodeResolved(payload, o),
    decoder: () => new LinesDecoder(opts),
  };
}
