// Read bursts (eventdispatcher.md §3.4): stream input is handled in chunks of at most 1024 bytes,
// every complete line of a chunk processed; after each chunk the round ends once the lines handled
// reach the event limit (default 5) or the time spent reaches the time limit (500 ms). What is left
// stays queued for the next round, so nothing is lost or reordered; the limit is soft.

import { LinesDecoder } from '../../protocols/framing/lines.ts';
import type { ProtocolError } from '../../protocols/errors.ts';
import type { Clock } from './clock.ts';

export const CHUNK_BYTES = 1024;
export const DEFAULT_EVENT_LIMIT = 5;
export const DEFAULT_TIME_LIMIT_US = 500_000;
/** Longest line accepted on a stream before the connection is dropped (upstream has none). */
export const DEFAULT_MAX_LINE = 1024 * 1024;

export interface BurstOptions {
  clock: Clock;
  onLine(line: Buffer): void;
  /** The stream broke the framing (a line over maxLine): the owner logs and closes. */
  onFramingError(error: ProtocolError): void;
  eventLimit?: number;
  timeLimitUs?: number;
  maxLine?: number;
}

export class BurstReader {
  readonly #o: BurstOptions;
  readonly #decoder: LinesDecoder;
  #queue: Buffer[] = [];
  #queued = 0;
  eventLimit: number;
  timeLimitUs: number;

  constructor(o: BurstOptions) {
    this.#o = o;
    this.eventLimit = o.eventLimit ?? DEFAULT_EVENT_LIMIT;
    this.timeLimitUs = o.timeLimitUs ?? DEFAULT_TIME_LIMIT_US;
    // An exactly empty line is skipped; a lone CR reaches the parser (§1.7).
    this.#decoder = new LinesDecoder({ maxFrameSize: o.maxLine ?? DEFAULT_MAX_LINE, stripCR: false, skipEmpty: true });
  }

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.#queue.push(data);
    this.#queued += data.length;
  }

  /** Bytes received and not yet handled. */
  get queued(): number {
    return this.#queued;
  }

  get failed(): boolean {
    return this.#decoder.error !== null;
  }

  /** One round; returns the number of lines handled. Call again while `queued > 0`. */
  round(): number {
    const start = this.#o.clock.nowUs();
    let lines = 0;
    while (this.#queued > 0 && this.#decoder.error === null) {
      const chunk = this.#take();
      for (const line of this.#decoder.push(chunk)) {
        lines++;
        this.#o.onLine(line);
      }
      if (this.#decoder.error !== null) {
        this.#queue = [];
        this.#queued = 0;
        this.#o.onFramingError(this.#decoder.error);
        break;
      }
      if (lines >= this.eventLimit || this.#o.clock.nowUs() - start >= this.timeLimitUs) break;
    }
    return lines;
  }

  #take(): Buffer {
    const head = this.#queue[0];
    let chunk: Buffer;
    if (head.length <= CHUNK_BYTES) {
      chunk = head;
      this.#queue.shift();
    } else {
      chunk = head.subarray(0, CHUNK_BYTES);
      this.#queue[0] = head.subarray(CHUNK_BYTES);
    }
    this.#queued -= chunk.length;
    return chunk;
  }
}
