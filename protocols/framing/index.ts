// protocols/framing: incremental, bounded frame decoders and their encoders.
// Error convention and memory rules: see ./types.ts.

export type { FrameDecoder, Framer, FramingName } from './types.ts';
export { createFramer, FRAMING_NAMES, type FramerOptions, type FramingAlias } from './factory.ts';
export { encodeLength32, length32, length32Header, Length32Decoder, type Length32Options } from './length32.ts';
export { encodeLength16, length16, length16Header, Length16Decoder, type Length16Options } from './length16.ts';
export { encodeLine, lines, LinesDecoder, type LinesOptions } from './lines.ts';
export { encodeJsonObject, jsonStream, JsonStreamDecoder, type JsonStreamOptions } from './json-stream.ts';
export {
  binaryLength,
  decimalLength,
  encodeFixedHeader,
  FixedHeaderDecoder,
  type FixedHeaderOptions,
  type HeaderFrame,
  type LengthField,
  type LengthReader,
  type LengthWriter,
} from './fixed-header.ts';
export { ProtocolError, type ProtocolErrorCode } from '../errors.ts';
