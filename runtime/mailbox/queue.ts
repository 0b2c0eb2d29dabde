// A growable ring buffer of (message, sender, askId) triples: the mailbox's storage.
// Triples in one flat array avoid allocating an envelope object per message on the hot path.
// A run of tells from one sender that arrived together is one entry (its list, the sender, RUN).

/** The askId of a run entry (real ask ids are positive, a tell's is 0). */
const RUN = -1;

export class TripleQueue {
  private buf: unknown[];
  private mask: number;
  private head = 0;
  private tail = 0;
  /** Entries, a run counting once (the mailbox counts messages). */
  length = 0;
  /** The next message of the run at the head, if the head is a run. */
  private runAt = 0;

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

  /**
   * Appends the first `n` messages of `msgs`, all from one sender (a run that arrived together),
   * as one entry: the list is taken over (cut to `n`) and its messages leave one by one. No
   * message is copied, so a run costs one entry whatever its length.
   */
  pushRun(msgs: unknown[], n: number, from: unknown): void {
    if (n === 0) return;
    if (msgs.length > n) msgs.length = n;
    this.push(msgs, from, RUN);
  }

  /** Removes the head; its three fields are left in `out` (reused, no allocation). */
  shift(out: Slot): boolean {
    if (this.length === 0) return false;
    const buf = this.buf;
    const i = this.head * 3;
    if (buf[i + 2] === RUN) {
      const list = buf[i] as unknown[];
      out.msg = list[this.runAt];
      out.from = buf[i + 1];
      out.askId = 0;
      if (++this.runAt < list.length) return true;
      this.runAt = 0;
    } else {
      out.msg = buf[i];
      out.from = buf[i + 1];
      out.askId = buf[i + 2] as number;
    }
    buf[i] = undefined;
    buf[i + 1] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return true;
  }

  /** Visits queued triples oldest first (used to fail pending asks when an actor dies). */
  forEach(fn: (msg: unknown, from: unknown, askId: number) => void): void {
    for (let k = 0, h = this.head; k < this.length; k++, h = (h + 1) & this.mask) {
      const msg = this.buf[h * 3];
      const from = this.buf[h * 3 + 1];
      const askId = this.buf[h * 3 + 2] as number;
      if (askId !== RUN) fn(msg, from, askId);
      else for (let j = k === 0 ? this.runAt : 0, list = msg as unknown[]; j < list.length; j++) fn(list[j], from, 0);
    }
  }

  clear(): void {
    this.buf.fill(undefined);
    this.head = this.tail = this.length = this.runAt = 0;
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
