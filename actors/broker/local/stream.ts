// One streaming receive (protocols/broker/json-stream.ts) of one client connection: the inbox hands
// it messages while fewer than `credit` are unacknowledged, and it writes them as one batch line per
// microtask burst (all the pushes of one ws message from the server leave in one line), or, for a
// binary stream, as binary runs (stream-binary.ts: one per topic and run of consecutive seqs).

import type { Buffer } from 'node:buffer';
import { encodeStreamBatch, encodeStreamEnd, encodeStreamRun, MAX_RUN, type Delivery } from '../../../protocols/broker/index.ts';

/** Writes to the stream's connection: a string is a JSON line (the newline is added), a Buffer goes as it is. */
export type StreamWrite = (chunk: string | Buffer) => void;
import type { Inbox, StreamSink } from './inbox.ts';

export class LocalStream implements StreamSink {
  readonly rid: number;
  readonly credit: number;
  readonly box: Inbox;
  readonly #write: StreamWrite;
  /** Binary runs of at most this many payload bytes (null: JSON batch lines). */
  readonly #runCap: number | null;
  #batch: Delivery[] = [];
  #ended = false;

  constructor(rid: number, credit: number, box: Inbox, write: StreamWrite, runCap: number | null = null) {
    this.rid = rid;
    this.credit = credit;
    this.box = box;
    this.#write = write;
    this.#runCap = runCap;
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
    if (this.#ended || batch.length === 0) return;
    if (this.#runCap === null) this.#write(encodeStreamBatch(this.rid, batch));
    else this.#writeRuns(batch, this.#runCap);
  }

  /** The batch as runs: cut where the topic changes, a seq is skipped, or the size cap is reached. */
  #writeRuns(batch: Delivery[], cap: number): void {
    const texts = new Array<string>(batch.length);
    for (let i = 0; i < batch.length; i++) texts[i] = batch[i].msg;
    let from = 0;
    let size = 0;
    for (let i = 0; i <= batch.length; i++) {
      if (i < batch.length) {
        const d = batch[i];
        const first = batch[from];
        // at most 3 UTF-8 bytes a UTF-16 unit: an estimate that never passes the cap, without a native call per text
        const bytes = 4 + 3 * d.msg.length;
        const fits = i === from || (d.topic === first.topic && d.seq === first.seq + (i - from) && i - from < MAX_RUN && size + bytes <= cap);
        if (fits) {
          size += bytes;
          continue;
        }
      }
      this.#write(encodeStreamRun(this.rid, batch[from].topic, batch[from].seq, texts, from, i));
      from = i;
      size = i < batch.length ? 4 + 3 * batch[i].msg.length : 0;
    }
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
