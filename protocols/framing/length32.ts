// length32: a 4-byte unsigned big-endian length N, then N bytes (dispatcher and broker framing).
// N = 0 is an 'empty-frame' error unless `allowEmpty`; N > maxFrameSize is 'frame-too-large'.

import type { Buffer } from 'node:buffer';
import { encodeLengthPrefixed, encodePrefix, LengthPrefixDecoder, lengthPrefixFramer, type LengthPrefixOptions } from './length-prefix.ts';
import type { Framer } from './types.ts';

export type Length32Options = LengthPrefixOptions;

/** Prefix + payload in one buffer; throws ProtocolError when too large (or empty and not allowed). */
export function encodeLength32(payload: Uint8Array, options: Length32Options): Buffer {
  return encodeLengthPrefixed(4, payload, options);
}

/** Only the 4 prefix bytes, for sending the payload separately (writev / cork). */
export function length32Header(length: number, options: Length32Options): Buffer {
  return encodePrefix(4, length, options);
}

export class Length32Decoder extends LengthPrefixDecoder {
  constructor(options: Length32Options) {
    super(4, options);
  }
}

export function length32(options: Length32Options): Framer {
  return lengthPrefixFramer('length32', 4, options, (o) => new Length32Decoder(o));
}
