// A growable ring buffer of (message, sender, askId) triples: the mailbox's storage.
// Triples in one flat array avoid allocating an envelope object per message on the hot path.

export class TripleQueue {
  private buf: unknown[];
  private mask: number;
  private head = 0;
  private tail = 0;
  length = 0;

  constructor(initialCapacity = 16) {
    let cap = 4;
    while (cap < initialCapacity) cap <<= 1;
    this.buf = new Array(cap * 3);
    this.mask = cap - 1;
  }

  push(msg: unknown, from: unknown, askId: number): void {
    if (this.length > this.mask) this.grow();
    const i = this.tail * 3;
    this.buf[i] = msg;
    this.buf[i + 1] = from;
    this.buf[i + 2] = askId;
    this.tail = (this.tail + 1) & this.mask;
    this.length++;
  }

  /** Appends `n` messages of `msgs` with one sender (a run that arrived together): one growth check. */
  pushRun(msgs: unknown[], n: number, from: unknown): void {
    while (this.length + n > this.mask + 1) this.grow();
    const buf = this.buf;
    const mask = this.mask;
    let t = this.tail;
    for (let k = 0; k < n; k++) {
      const i = t * 3;
      buf[i] = msgs[k];
      buf[i + 1] = from;
      buf[i + 2] = 0;
      t = (t + 1) & mask;
    }
    this.tail = t;
    this.length += n;
  }

  /** Removes the head; its three fields are left in `out` (reused, no allocation). */
  shift(out: Slot): boolean {
    if (this.length === 0) return false;
    const i = this.head * 3;
    out.msg = this.buf[i];
    out.from = this.buf[i + 1];
    out.askId = this.buf[i + 2] as number;
    this.buf[i] = undefined;
    this.buf[i + 1] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return true;
  }

  /** Visits queued triples oldest first (used to fail pending asks when an actor dies). */
  forEach(fn: (msg: unknown, from: unknown, askId: number) => void): void {
    for (let k = 0, h = this.head; k < this.length; k++, h = (h + 1) & this.mask) {
      fn(this.buf[h * 3], this.buf[h * 3 + 1], this.buf[h * 3 + 2] as number);
    }
  }

  clear(): void {
    this.buf.fill(undefined);
    this.head = this.tail = this.length = 0;
  }

  private grow(): void {
    const cap = this.mask + 1;
    const next = new Array(cap * 2 * 3);
    for (let k = 0; k < this.length; k++) {
      const from = ((this.head + k) & this.mask) * 3;
      next[k * 3] = this.buf[from];
      next[k * 3 + 1] = this.buf[from + 1];
      next[k * 3 + 2] = this.buf[from + 2];
    }
    this.buf = next;
    this.mask = cap * 2 - 1;
    this.head = 0;
    this.tail = this.length;
  }
}

export interface Slot {
  msg: unknown;
  from: unknown;
  askId: number;
}

export const newSlot = (): Slot => ({ msg: undefined, from: undefined, askId: 0 });
