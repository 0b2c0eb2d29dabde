// Shared shapes of every framer in protocols/framing.
//
// ERROR CONVENTION (all decoders): decoders NEVER throw on bad input.
//   `push(chunk)` returns the frames completed by this chunk, in order. When the stream breaks the
//   framing (oversize frame, forbidden empty frame, garbage), `push` still returns every frame that
//   was complete before the bad bytes, and sets `decoder.error` to a ProtocolError whose `offset` is
//   the stream offset (bytes since the first push) of the offending frame/byte. The decoder is then
//   failed: there is no resynchronisation and further pushes return [] without looking at the bytes.
//   Check `decoder.error` after each push (one property read). `end()` reports a stream that stopped
//   mid-frame ('truncated') and returns null otherwise.
// Encoders throw a ProtocolError when the payload cannot be framed (too large, forbidden bytes).
//
// MEMORY: a decoder holds at most one partial frame, bounded by its max frame size (plus a header
// of a few bytes). A frame lying wholly inside a chunk is returned as a view (subarray) of that
// chunk without copying; a frame spanning chunks is assembled into a fresh buffer. So do not reuse
// (overwrite) a chunk's memory while you still use the frames returned for it.

import type { ProtocolError } from '../errors.ts';

export type FramingName = 'length32' | 'length16' | 'lines' | 'json-stream';

export interface FrameDecoder<F = Buffer> {
  /** Feed the next bytes of the stream (split anywhere); returns the frames they complete. */
  push(chunk: Uint8Array): F[];
  /** Call at end of stream: a ProtocolError ('truncated') if a frame is incomplete, else the current error or null. */
  end(): ProtocolError | null;
  /** Set once the stream broke the framing; the decoder then ignores further input. */
  readonly error: ProtocolError | null;
  /** Bytes currently held for an incomplete frame. */
  readonly buffered: number;
}

export interface Framer {
  readonly name: FramingName;
  /** Largest payload accepted by encode and by the decoder. */
  readonly maxFrameSize: number;
  /** Frame one payload (throws ProtocolError if it cannot be framed). */
  encode(payload: Uint8Array): Buffer;
  /** A fresh decoder for one stream. */
  decoder(): FrameDecoder<Buffer>;
}
