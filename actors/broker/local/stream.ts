// One streaming receive (protocols/broker/json-stream.ts) of one client connection: the inbox hands
// it messages while fewer than `credit` are unacknowledged, and it writes them as one batch line per
// microtask burst (all the pushes of one ws message from the server leave in one line), or, for a
// binary stream, as binary runs (stream-binary.ts): one per run the inbox hands it (runs.ts: one
// topic, consecutive seqs), cut at the size cap.

import type { Buffer } from 'node:buffer';
import { encodeStreamBatch, encodeStreamEnd, encodeStreamRun, MAX_RUN, type Delivery } from '../../../protocols/broker/index.ts';
import type { Inbox, StreamSink } from './inbox.ts';
import type { Run } from './runs.ts';

/** Writes to the stream's connection: a string is a JSON line (the newline is added), a Buffer goes as it is. */
export type StreamWrite = (chunk: string | Buffer) => void;

export class LocalStream implements StreamSink {
  readonly rid: number;
  readonly credit: number;
  readonly box: Inbox;
  readonly #write: StreamWrite;
  /** Binary runs of at most this many payload bytes (null: JSON batch lines). */
  readonly #runCap: number | null;
  #batch: Run[] = [];
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

  offer(r: Run): void {
    if (this.#batch.length === 0) queueMicrotask(() => this.#flush());
    this.#batch.push(r);
  }

  #flush(): void {
    const batch = this.#batch;
    this.#batch = [];
    if (this.#ended || batch.length === 0) return;
    const cap = this.#runCap;
    if (cap === null) this.#write(encodeStreamBatch(this.rid, deliveries(batch)));
    else for (const r of batch) this.#writeRun(r, cap);
  }

  /** One run as binary runs (stream-binary.ts), cut where the size cap is reached. */
  #writeRun(r: Run, cap: number): void {
    const texts = r.texts;
    let from = r.from;
    let size = 0;
    for (let i = r.from; i < r.to; i++) {
      // at most 3 UTF-8 bytes a UTF-16 unit: an estimate that never passes the cap, without a native call per text
      const bytes = 4 + 3 * texts[i].length;
      if (i > from && (size + bytes > cap || i - from >= MAX_RUN)) {
        this.#write(encodeStreamRun(this.rid, r.topic, r.seq + (from - r.from), texts, from, i));
        from = i;
        size = 0;
      }
      size += bytes;
    }
    this.#write(encodeStreamRun(this.rid, r.topic, r.seq + (from - r.from), texts, from, r.to));
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

/** The messages of some runs, for a JSON batch line. */
function deliveries(runs: Run[]): Delivery[] {
  const out: Delivery[] = [];
  for (const r of runs) for (let k = r.from; k < r.to; k++) out.push({ topic: r.topic, msg: r.texts[k], seq: r.seq + (k - r.from) });
  return out;
}
