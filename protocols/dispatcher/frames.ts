// Reply (and client request) framing for the dispatcher's three modes (dispatcher.md §3.2).
// Decoding uses protocols/framing; encoding is here because each mode wraps a *string* payload
// and the dispatcher writes it in one allocation.

import { Buffer } from 'node:buffer';
import { createFramer } from '../framing/factory.ts';
import type { FrameDecoder } from '../framing/types.ts';

export type DispatchFraming = 'length32' | 'ndjson' | 'legacy';

export const DISPATCH_FRAMINGS: readonly DispatchFraming[] = ['length32', 'ndjson', 'legacy'];

/** A fresh incremental request decoder for one connection (see protocols/framing for the rules). */
export function requestDecoder(mode: DispatchFraming, maxFrameBytes: number): FrameDecoder<Buffer> {
  return createFramer(mode, { maxFrameSize: maxFrameBytes }).decoder();
}

/**
 * One frame around `payload`: `length32` prefixes the 4-byte big-endian length, `ndjson` appends
 * LF, `legacy` adds nothing. `ascii` says the string is pure ASCII (a faster, exact encoding).
 */
export function encodeFrame(mode: DispatchFraming, payload: string, ascii = false): Buffer {
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
