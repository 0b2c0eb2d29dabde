// length16: a 2-byte unsigned big-endian length N, then N bytes (lottery protocol B: 1 <= N <= 8190).
// N = 0 is an 'empty-frame' error unless `allowEmpty`; N > maxFrameSize is 'frame-too-large'.

import type { Buffer } from 'node:buffer';
import { encodeLengthPrefixed, encodePrefix, LengthPrefixDecoder, lengthPrefixFramer, type LengthPrefixOptions } from './length-prefix.ts';
import type { Framer } from './types.ts';

/** maxFrameSize must be at most 65535. */
export type Length16Options = LengthPrefixOptions;

export function encodeLength16(payload: Uint8Array, options: Length16Options): Buffer {
  return encodeLengthPrefixed(2, payload, options);
}

export function length16Header(length: number, options: Length16Options): Buffer {
  return encodePrefix(2, length, options);
}

export class Length16Decoder extends LengthPrefixDecoder {
  constructor(options: Length16Options) {
    super(2, options);
  }
}

export function length16(options: Length16Options): Framer {
  return lengthPrefixFramer('length16', 2, options, (o) => new Length16Decoder(o));
}
