// A stream of concatenated top-level JSON objects (the dispatcher's `legacy` mode): each object is
// one frame, from its `{` to the matching `}`.
//
// The scanner counts `{` / `}` outside strings and honours `\"` and `\\` inside strings. It does NOT
// validate the JSON inside an object (that is the protocol's job: a frame like `{"a":}` is returned).
// Between objects only whitespace (SP, TAB, LF, CR) is allowed; any other byte ('[', '"', a digit, a
// stray '}') is 'malformed' at its offset. An object still open after maxFrameSize bytes is
// 'frame-too-large' at the object's first byte. There is no resynchronisation.

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { asBuffer, checkMax, PieceCollector, tooLarge } from './bytes.ts';
import type { FrameDecoder, Framer } from './types.ts';

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface JsonStreamOptions {
  /** Largest object in bytes, braces included. Required. */
  maxFrameSize: number;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function describe(b: number): string {
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `0x${b.toString(16).padStart(2, '0')}`;
}

export class JsonStreamDecoder implements FrameDecoder<Buffer> {
  readonly #max: number;
  readonly #partial = new PieceCollector();
  #depth = 0;
  #inString = false;
  #escape = false;
  #base = 0;
  #frameStart = 0;
  #error: ProtocolError | null = null;

  constructor(options: JsonStreamOptions) {
    this.#max = checkMax('maxFrameSize', options.maxFrameSize, 2 ** 32);
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
    const max = this.#max;
    let depth = this.#depth;
    let inString = this.#inString;
    let escape = this.#escape;
    // start (in this chunk) of the open object's bytes not yet stored in #partial
    let start = 0;
    let pos = 0;
    for (; pos < n; pos++) {
      const b = buf[pos];
      if (depth === 0) {
        if (isSpace(b)) continue;
        if (b !== OPEN) {
          this.#error = new ProtocolError('malformed', `expected '{' or whitespace between JSON objects, got ${describe(b)}`, this.#base + pos);
          break;
        }
        depth = 1;
        start = pos;
        this.#frameStart = this.#base + pos;
        continue;
      }
      if (inString) {
        if (escape) escape = false;
        else if (b === BACKSLASH) escape = true;
        else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) {
        inString = true;
      } else if (b === OPEN) {
        depth++;
      } else if (b === CLOSE) {
        depth--;
        if (depth === 0) {
          const length = this.#partial.length + (pos + 1 - start);
          if (length > max) {
            this.#error = tooLarge('JSON object', length, max, this.#frameStart);
            break;
          }
          out.push(this.#partial.length === 0 ? buf.subarray(start, pos + 1) : this.#partial.take(buf, start, pos + 1));
        }
      }
    }
    if (this.#error === null && depth > 0) {
      const pending = this.#partial.length + (n - start);
      if (pending > max) {
        this.#error = tooLarge('open JSON object', pending, max, this.#frameStart);
      } else {
        this.#partial.add(buf, start, n);
      }
    }
    if (this.#error !== null) this.#partial.clear();
    this.#depth = depth;
    this.#inString = inString;
    this.#escape = escape;
    this.#base += n;
    return out;
  }

  end(): ProtocolError | null {
    if (this.#error !== null) return this.#error;
    if (this.#depth > 0) {
      return new ProtocolError('truncated', `stream ended inside a JSON object (depth ${this.#depth})`, this.#frameStart);
    }
    return null;
  }
}

/**
 * Check that `payload` is exactly one object as the scanner sees it (starts with '{', its matching
 * '}' is the last byte, at most maxFrameSize bytes) and return a copy. No delimiter is added.
 */
export function encodeJsonObject(payload: Uint8Array, options: JsonStreamOptions): Buffer {
  const max = checkMax('maxFrameSize', options.maxFrameSize, 2 ** 32);
  const buf = asBuffer(payload);
  if (buf.length > max) throw tooLarge('JSON object', buf.length, max);
  if (buf.length === 0 || buf[0] !== OPEN) {
    throw new ProtocolError('malformed', 'a json-stream frame must start with \'{\'', 0);
  }
  let depth = 0;
  let inString = false;
  let escape = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (inString) {
      if (escape) escape = false;
      else if (b === BACKSLASH) escape = true;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN) depth++;
    else if (b === CLOSE) {
      depth--;
      if (depth === 0 && i !== buf.length - 1) {
        throw new ProtocolError('trailing-bytes', 'bytes after the end of the JSON object', i + 1);
      }
    }
  }
  if (depth !== 0) throw new ProtocolError('truncated', 'the JSON object is not closed', buf.length);
  return Buffer.from(buf);
}

export function jsonStream(options: JsonStreamOptions): Framer {
  const opts = { maxFrameSize: checkMax('maxFrameSize', options.maxFrameSize, 2 ** 32) };
  return {
    name: 'json-stream',
    maxFrameSize: opts.maxFrameSize,
    encode: (payload) => encodeJsonObject(payload, opts),
    decoder: () => new JsonStreamDecoder(opts),
  };
}
