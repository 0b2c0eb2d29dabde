// Small byte helpers shared by the framers.

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';

export const EMPTY: Buffer = Buffer.alloc(0);

/** A Buffer view of `bytes` without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Validate a max-size option: a non-negative safe integer not above `ceiling`. */
export function checkMax(name: string, value: number, ceiling: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > ceiling) {
    throw new RangeError(`${name} must be an integer in 0..${ceiling}, got ${value}`);
  }
  return value;
}

/**
 * Collects the pieces of a frame whose length is not known in advance (lines, JSON objects).
 * Pieces are copied when stored (so the caller may reuse its chunk) and joined once at the end.
 */
export class PieceCollector {
  #pieces: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Store a copy of bytes[start, end). */
  add(bytes: Buffer, start: number, end: number): void {
    if (end <= start) return;
    const copy = Buffer.allocUnsafe(end - start);
    bytes.copy(copy, 0, start, end);
    this.#pieces.push(copy);
    this.#length += end - start;
  }

  /** Join the stored pieces with bytes[start, end) and reset. */
  take(bytes: Buffer, start: number, end: number): Buffer {
    const total = this.#length + (end - start);
    let out: Buffer;
    if (this.#pieces.length === 1 && end <= start) {
      out = this.#pieces[0];
    } else {
      out = Buffer.allocUnsafe(total);
      let at = 0;
      for (const p of this.#pieces) {
        p.copy(out, at);
        at += p.length;
      }
      if (end > start) bytes.copy(out, at, start, end);
    }
    this.clear();
    return out;
  }

  clear(): void {
    this.#pieces = [];
    this.#length = 0;
  }
}

export function tooLarge(what: string, size: number, max: number, offset?: number): ProtocolError {
  return new ProtocolError('frame-too-large', `${what} of ${size} bytes exceeds the maximum of ${max} bytes`, offset);
}
