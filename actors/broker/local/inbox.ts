// Inbox (broker.md §5.2): the messages the server pushed for one local id, oldest first, and the
// recv calls parked on it (D3). Pushes at or below the last seq held are duplicates and dropped.
// A returned message is reported `consumed` (cumulative) so the server can forget it.
// Messages are held as runs (runs.ts): a slice of the texts of one server frame, one topic,
// consecutive seqs, shared by every subscriber of that frame, so a pushed message costs no object
// per subscriber while it waits; a Delivery is made only when recv takes one.

import type { Delivery } from '../../../protocols/broker/index.ts';
import { runLength, runSlice, type Run } from './runs.ts';

/**
 * A streaming consumer of one inbox (json-stream.ts): it gets messages while fewer than `credit`
 * are unacknowledged. Messages handed to it are not consumed until it acks them.
 */
export interface StreamSink {
  readonly credit: number;
  /** Queues a run for the client (written in the next batch). */
  offer(r: Run): void;
  /** The broker ends the stream (destroy, stop) with an error code. */
  end(code: number, description: string): void;
}

export interface ParkedRecv {
  /** Takes the message if the caller is still there; false leaves it in the inbox. */
  deliver(d: Delivery | null): boolean;
  timer: NodeJS.Timeout | null;
}

/** A message a parked recv took from a push: the LB reports it consumed once its reply is out. */
export type Taken = (d: Delivery, prevConsumed: number, caller: { readonly alive: boolean } | null) => void;

export class Inbox {
  readonly local: number;
  readonly gid: number;
  #items: Run[] = [];
  #head = 0;
  #count = 0;
  /** Highest seq received (duplicates at or below it are dropped). */
  lastSeq = 0;
  /** Highest seq returned by recv (the `consumed` mark). */
  consumed = 0;
  readonly #parked: ParkedRecv[] = [];
  /** The caller of the parked recv that took the last pushed message (set by its deliver). */
  takenBy: { readonly alive: boolean } | null = null;
  /** The open stream of this id, if any, and what it holds unacknowledged (oldest first). */
  stream: StreamSink | null = null;
  #inflight: Run[] = [];
  #inflightCount = 0;

  constructor(local: number, gid: number) {
    this.local = local;
    this.gid = gid;
  }

  /** Messages waiting (not handed to a recv or a stream). */
  get size(): number {
    return this.#count;
  }

  /** A run pushed by the server; a parked recv takes its first messages (`taken` hears of each). */
  push(run: Run, taken: Taken): void {
    let r = run;
    const n = runLength(r);
    if (r.seq + n - 1 <= this.lastSeq) return;
    if (r.seq <= this.lastSeq) r = runSlice(r, this.lastSeq - r.seq + 1, n);
    this.lastSeq = r.seq + runLength(r) - 1;
    while (this.#parked.length > 0 && runLength(r) > 0) {
      const p = this.#parked.shift() as ParkedRecv;
      if (p.timer) clearTimeout(p.timer);
      const d: Delivery = { topic: r.topic, msg: r.texts[r.from], seq: r.seq };
      const prev = this.consumed;
      if (p.deliver(d)) {
        this.consumed = d.seq;
        taken(d, prev, this.takenBy);
        r = runSlice(r, 1, runLength(r));
      }
    }
    const left = runLength(r);
    if (left === 0) return;
    const st = this.stream;
    if (st !== null && this.#count === 0) {
      const room = st.credit - this.#inflightCount;
      if (room >= left) {
        this.#toStream(st, r, left);
        return;
      }
      if (room > 0) {
        this.#toStream(st, runSlice(r, 0, room), room);
        r = runSlice(r, room, left);
      }
    }
    this.#items.push(r);
    this.#count += runLength(r);
  }

  #toStream(st: StreamSink, r: Run, n: number): void {
    this.#inflight.push(r);
    this.#inflightCount += n;
    st.offer(r);
  }

  get parked(): number {
    return this.#parked.length;
  }

  /** Attaches a stream and hands it what is pending, up to its credit. */
  attach(st: StreamSink): void {
    this.stream = st;
    this.#pump();
  }

  /**
   * The stream consumed everything up to `seq` (cumulative): returns the new consumed mark, or 0
   * when nothing in flight was acknowledged. Refills the stream's window.
   */
  ack(seq: number): number {
    let acked = 0;
    let drop = 0;
    for (; drop < this.#inflight.length; drop++) {
      const r = this.#inflight[drop];
      const n = runLength(r);
      if (r.seq > seq) break;
      if (r.seq + n - 1 <= seq) {
        acked = r.seq + n - 1;
        this.#inflightCount -= n;
        continue;
      }
      // part of this run: the rest stays in flight (a new run object: the stream may still hold this one)
      const k = seq - r.seq + 1;
      acked = seq;
      this.#inflightCount -= k;
      this.#inflight[drop] = runSlice(r, k, n);
      break;
    }
    if (acked === 0) return 0;
    if (drop > 0) this.#inflight.splice(0, drop);
    this.consumed = acked;
    this.#pump();
    return this.consumed;
  }

  /** The stream ended: what it did not acknowledge goes back to the front, unconsumed. */
  detach(): void {
    this.stream = null;
    if (this.#inflight.length === 0) return;
    this.#items.splice(this.#head, 0, ...this.#inflight);
    this.#count += this.#inflightCount;
    this.#inflight = [];
    this.#inflightCount = 0;
  }

  #pump(): void {
    const st = this.stream;
    if (st === null) return;
    while (this.#inflightCount < st.credit && this.#head < this.#items.length) {
      const r = this.#items[this.#head];
      const n = runLength(r);
      const room = st.credit - this.#inflightCount;
      if (n <= room) {
        this.#head++;
        this.#count -= n;
        this.#toStream(st, r, n);
      } else {
        this.#items[this.#head] = runSlice(r, room, n);
        this.#count -= room;
        this.#toStream(st, runSlice(r, 0, room), room);
      }
    }
    this.#compact();
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The oldest message, consumed, or null. */
  take(): Delivery | null {
    if (this.#head >= this.#items.length) return null;
    const r = this.#items[this.#head];
    const d: Delivery = { topic: r.topic, msg: r.texts[r.from], seq: r.seq };
    const n = runLength(r);
    if (n === 1) {
      this.#head++;
      this.#compact();
    } else this.#items[this.#head] = runSlice(r, 1, n);
    this.#count--;
    this.consumed = d.seq;
    return d;
  }

  /**
   * The reply carrying `d` was never written (its caller went away): `d` is not consumed and goes
   * back to the front, unless a later message of this id was returned since (then it stays taken).
   */
  untake(d: Delivery, prevConsumed: number): boolean {
    if (this.consumed !== d.seq) return false;
    this.consumed = prevConsumed;
    this.#items.splice(this.#head, 0, { topic: d.topic, texts: [d.msg], from: 0, to: 1, seq: d.seq });
    this.#count++;
    return true;
  }

  park(p: ParkedRecv): void {
    this.#parked.push(p);
  }

  unpark(p: ParkedRecv): void {
    const i = this.#parked.indexOf(p);
    if (i >= 0) this.#parked.splice(i, 1);
    if (p.timer) clearTimeout(p.timer);
  }

  /** D4: unsubscribe drops this topic's messages that were not returned yet. */
  purgeTopic(topic: string): void {
    this.#items = this.#items.slice(this.#head).filter((r) => r.topic !== topic);
    this.#head = 0;
    this.#count = 0;
    for (const r of this.#items) this.#count += runLength(r);
    // already written to a stream: the client may still ack them, but they never come back
    this.#inflight = this.#inflight.filter((r) => r.topic !== topic);
    this.#inflightCount = 0;
    for (const r of this.#inflight) this.#inflightCount += runLength(r);
    // the purge may have freed stream credit: what waits goes out now (no ack would ever bring it)
    this.#pump();
  }

  /** destroy: every parked recv ends (with -1 from the caller's side). */
  close(): ParkedRecv[] {
    const parked = this.#parked.splice(0);
    for (const p of parked) if (p.timer) clearTimeout(p.timer);
    this.#items = [];
    this.#head = 0;
    this.#count = 0;
    this.#inflight = [];
    this.#inflightCount = 0;
    this.stream = null;
    return parked;
  }
}
