// One streaming receive (protocols/broker/json-stream.ts) of one client connection: the inbox hands
// it messages while fewer than `credit` are unacknowledged, and it writes them as one batch line per
// microtask burst (all the pushes of one ws message from the server leave in one line).

import { encodeStreamBatch, encodeStreamEnd, type Delivery } from '../../../protocols/broker/index.ts';
import type { Inbox, StreamSink } from './inbox.ts';

export class LocalStream implements StreamSink {
  readonly rid: number;
  readonly credit: number;
  readonly box: Inbox;
  readonly #write: (line: string) => void;
  #batch: Delivery[] = [];
  #ended = false;

  constructor(rid: number, credit: number, box: Inbox, write: (line: string) => void) {
    this.rid = rid;
    this.credit = credit;
    this.box = box;
    this.#write = write;
  }

  get ended(): boolean {
    return this.#ended;
  }

  offer(d: Delivery): void {
    if (this.#batch.length === 0) queueMicrotask(() => this.#flush());
    this.#batch.push(d);
  }

  #flush(): void {
    const batch = this.#batch;
    this.#batch = [];
    if (!this.#ended && batch.length > 0) this.#write(encodeStreamBatch(this.rid, batch));
  }

  /** The broker ends the stream (destroy: -1, stop: -8); the client gets one end line. */
  end(code: number, description: string): void {
    if (this.#ended) return;
    this.#flush();
    this.#ended = true;
    this.#write(encodeStreamEnd(this.rid, code, description));
  }

  /** The client closed it or went away: nothing more is written. */
  drop(): void {
    this.#ended = true;
    this.#batch = [];
  }
}
