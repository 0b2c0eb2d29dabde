// Ask deadlines without a timer per ask. Asks with the same timeout expire in the order they
// were made, so each timeout value keeps a FIFO of (id, deadline) and one timer armed for its
// head. Answered asks are skipped (and dropped from the head as new asks arrive).

const MAX_DELAY = 2 ** 31 - 1; // setTimeout fires at once beyond this (e.g. Infinity)

interface Bucket {
  ids: number[];
  at: number[];
  head: number;
  timer: NodeJS.Timeout | null;
}

export class Deadlines {
  private buckets = new Map<number, Bucket>();
  private isOpen: (id: number) => boolean;
  private expire: (id: number, timeoutMs: number) => void;

  /** `isOpen(id)`: still waiting for an answer; `expire`: its deadline passed. */
  constructor(isOpen: (id: number) => boolean, expire: (id: number, timeoutMs: number) => void) {
    this.isOpen = isOpen;
    this.expire = expire;
  }

  add(id: number, timeoutMs: number): void {
    if (!(timeoutMs < MAX_DELAY)) return; // effectively never: nothing to arm
    let b = this.buckets.get(timeoutMs);
    if (!b) this.buckets.set(timeoutMs, (b = { ids: [], at: [], head: 0, timer: null }));
    this.dropAnswered(b);
    b.ids.push(id);
    b.at.push(performance.now() + timeoutMs);
    if (b.timer === null) this.arm(timeoutMs, b);
  }

  private dropAnswered(b: Bucket): void {
    while (b.head < b.ids.length && !this.isOpen(b.ids[b.head])) b.head++;
    if (b.head > 1024 && b.head * 2 > b.ids.length) {
      b.ids = b.ids.slice(b.head);
      b.at = b.at.slice(b.head);
      b.head = 0;
    }
  }

  private arm(timeoutMs: number, b: Bucket): void {
    this.dropAnswered(b);
    if (b.head >= b.ids.length) {
      b.ids = [];
      b.at = [];
      b.head = 0;
      b.timer = null;
      return;
    }
    const wait = Math.max(0, b.at[b.head] - performance.now());
    b.timer = setTimeout(() => this.fire(timeoutMs, b), Math.ceil(wait));
  }

  private fire(timeoutMs: number, b: Bucket): void {
    const now = performance.now();
    // Timers may fire up to a millisecond early against performance.now(): allow that slack.
    while (b.head < b.ids.length && b.at[b.head] <= now + 1) {
      const id = b.ids[b.head++];
      if (this.isOpen(id)) this.expire(id, timeoutMs);
    }
    this.arm(timeoutMs, b);
  }

  close(): void {
    for (const b of this.buckets.values()) if (b.timer) clearTimeout(b.timer);
    this.buckets.clear();
  }
}
