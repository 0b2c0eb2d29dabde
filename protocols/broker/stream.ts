// Bytes -> broker frames: length32 framing plus the frame decoder, for a link reader.
// Follows the framing convention (framing/types.ts): push() never throws; on the first bad frame it
// returns the frames before it and sets `error` (offset = stream offset of the bad byte). The link
// then answers with an `error` frame (rid 0, PROTOCOL_ERROR) and closes: there is no resync.

import { ProtocolError } from '../errors.ts';
import { Length32Decoder } from '../framing/length32.ts';
import type { FrameDecoder } from '../framing/types.ts';
import { decodeBrokerFrame } from './decode.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './encode.ts';
import type { BrokerFrame } from './types.ts';

export class BrokerStreamDecoder implements FrameDecoder<BrokerFrame> {
  readonly #framer: Length32Decoder;
  #offset = 0;
  #error: ProtocolError | null = null;

  constructor(options: { maxFrameBytes?: number } = {}) {
    this.#framer = new Length32Decoder({ maxFrameSize: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
  }

  get error(): ProtocolError | null {
    return this.#error ?? this.#framer.error;
  }

  get buffered(): number {
    return this.#framer.buffered;
  }

  push(chunk: Uint8Array): BrokerFrame[] {
    const out: BrokerFrame[] = [];
    if (this.error !== null) return out;
    for (const payload of this.#framer.push(chunk)) {
      try {
        out.push(decodeBrokerFrame(payload));
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.#error = new ProtocolError(e.code, e.detail, this.#offset + 4 + (e.offset ?? 0));
        break;
      }
      this.#offset += 4 + payload.length;
    }
    return out;
  }

  end(): ProtocolError | null {
    return this.#error ?? this.#framer.end();
  }
}
