// Inbox (broker.md §5.2): the messages the server pushed for one local id, oldest first, and the
// recv calls parked on it (D3). Pushes at or below the last seq held are duplicates and dropped.
// A returned message is reported `consumed` (cumulative) so the server can forget it.

import type { Delivery } from '../../../protocols/broker/index.ts';

/**
 * A streaming consumer of one inbox (json-stream.ts): it gets messages while fewer than `credit`
 * are unacknowledged. Messages handed to it are not consumed until it acks them.
 */
export interface StreamSink {
  readonly credit: number;
  /** Queues `d` for the client (written in the next batch line). */
  offer(d: Delivery): void;
  /** The broker ends the stream (destroy, stop) with an error code. */
  end(code: number, description: string): void;
}

export interface ParkedRecv {
  /** Takes the message if the caller is still there; false leaves it in the inbox. */
  deliver(d: Delivery | null): boolean;
  timer: NodeJS.Timeout | null;
}

export class Inbox {
  readonly local: number;
  readonly gid: number;
  #items: Delivery[] = [];
  #head = 0;
  /** Highest seq received (duplicates at or below it are dropped). */
  lastSeq = 0;
  /** Highest seq returned by recv (the `consumed` mark). */
  consumed = 0;
  readonly #parked: ParkedRecv[] = [];
  /** The caller of the parked recv that took the last pushed message (set by its deliver). */
  takenBy: { readonly alive: boolean } | null = null;
  /** The open stream of this id, if any, and what it holds unacknowledged (oldest first). */
  stream: StreamSink | null = null;
  #inflight: Delivery[] = [];

  constructor(local: number, gid: number) {
    this.local = local;
    this.gid = gid;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** A push from the server; returns the seq consumed at once by a parked recv, or 0. */
  push(d: Delivery): number {
    if (d.seq <= this.lastSeq) return 0;
    this.lastSeq = d.seq;
    while (this.#parked.length > 0) {
      const p = this.#parked.shift() as ParkedRecv;
      if (p.timer) clearTimeout(p.timer);
      if (p.deliver(d)) {
        this.consumed = d.seq;
        return d.seq;
      }
    }
    const st = this.stream;
    if (st !== null && this.#inflight.length < st.credit && this.#head >= this.#items.length) {
      this.#inflight.push(d);
      st.offer(d);
      return 0;
    }
    this.#items.push(d);
    return 0;
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
    let n = 0;
    while (n < this.#inflight.length && this.#inflight[n].seq <= seq) n++;
    if (n === 0) return 0;
    this.consumed = this.#inflight[n - 1].seq;
    this.#inflight.splice(0, n);
    this.#pump();
    return this.consumed;
  }

  /** The stream ended: what it did not acknowledge goes back to the front, unconsumed. */
  detach(): void {
    this.stream = null;
    if (this.#inflight.length === 0) return;
    this.#items.splice(this.#head, 0, ...this.#inflight);
    this.#inflight = [];
  }

  #pump(): void {
    const st = this.stream;
    if (st === null) return;
    while (this.#inflight.length < st.credit && this.#head < this.#items.length) {
      const d = this.#items[this.#head++];
      this.#inflight.push(d);
      st.offer(d);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The oldest message, consumed, or null. */
  take(): Delivery | null {
    if (this.#head >= this.#items.length) return null;
    const d = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
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
    this.#items.splice(this.#head, 0, d);
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
    this.#items = this.#items.slice(this.#head).filter((d) => d.topic !== topic);
    this.#head = 0;
    // already written to a stream: the client may still ack them, but they never come back
    this.#inflight = this.#inflight.filter((d) => d.topic !== topic);
  }

  /** destroy: every parked recv ends (with -1 from the caller's side). */
  close(): ParkedRecv[] {
    const parked = this.#parked.splice(0);
    for (const p of parked) if (p.timer) clearTimeout(p.timer);
    this.#items = [];
    this.#head = 0;
    this.#inflight = [];
    this.stream = null;
    return parked;
  }
}
