// The one error type of protocols/: every codec reports bad input as a ProtocolError.
//
// Conventions (all of protocols/):
// - Stream decoders (protocols/framing) never throw on bad input: they return the frames decoded
//   before the problem and expose the error on `decoder.error` (see framing/types.ts).
// - Single-frame/message decoders throw ProtocolError (or a subclass) on bad input, or return a
//   result object where the API says so (eventdispatcher's parseMessage).
// - Encoders throw ProtocolError when a value cannot be encoded (too large, forbidden bytes).
// No other exception type escapes a codec for bad input; anything else is a bug.

export type ProtocolErrorCode =
  /** A frame or a value is larger than the configured limit. */
  | 'frame-too-large'
  /** A zero-length frame where the framing forbids it. */
  | 'empty-frame'
  /** Bytes that do not follow the framing or the message grammar. */
  | 'malformed'
  /** The input ended in the middle of a frame or a field. */
  | 'truncated'
  /** Bytes left over after a complete message. */
  | 'trailing-bytes'
  /** An unknown frame type / opcode. */
  | 'unknown-type'
  /** A field is present but its value is not allowed (range, charset, UTF-8). */
  | 'invalid-field'
  /** A peer speaks a protocol version we do not support. */
  | 'unsupported-version'
  /** A decoder that already failed was fed again (no resynchronisation). */
  | 'decoder-failed'
  /** Event dispatcher: InvalidMessageError. */
  | 'invalid-message'
  /** Event dispatcher: InvalidParameterError. */
  | 'invalid-parameter'
  /** Event dispatcher: ParameterError. */
  | 'parameter'
  /** Event dispatcher: ImplementationError. */
  | 'implementation';

export class ProtocolError extends Error {
  override name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  /** What was wrong, without the position. */
  readonly detail: string;
  /** Byte offset (from the start of the stream or of the decoded buffer) where the problem is, when known. */
  readonly offset: number | undefined;

  constructor(code: ProtocolErrorCode, detail: string, offset?: number) {
    super(offset === undefined ? detail : `${detail} (at byte offset ${offset})`);
    this.code = code;
    this.detail = detail;
    this.offset = offset;
  }

  static is(value: unknown): value is ProtocolError {
    return value instanceof ProtocolError;
  }
}
