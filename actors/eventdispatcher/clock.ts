// The clock every event dispatcher connection reads time from, injectable so that timers, rounds,
// read bursts and pause lists run on a fake clock in property tests. Shaped like xstate's Clock
// (setTimeout/clearTimeout) so the permanent-connection machines use the same one.

export interface Clock {
  /** Microseconds since the Unix epoch (the API unit of eventdispatcher.md). */
  nowUs(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** Wall time with sub-millisecond resolution (performance.timeOrigin + performance.now()). */
export const realClock: Clock = {
  nowUs: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that only moves when told; timers fire in due order during advance(). */
export class FakeClock implements Clock {
  #now: number;
  #timers: FakeTimer[] = [];
  #ids = 0;

  constructor(startUs = 1_700_000_000_000_000) {
    this.#now = startUs;
  }

  nowUs(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t = { id: ++this.#ids, at: this.#now + Math.max(0, ms) * 1000, fn };
    this.#timers.push(t);
    return t.id;
  }

  clearTimeout(id: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }

  /** Pending timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `us`, firing every timer that falls due, in order (ties by creation). */
  advance(us: number): void {
    const end = this.#now + us;
    for (;;) {
      let next: FakeTimer | null = null;
      for (const t of this.#timers) if (t.at <= end && (next === null || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (next === null) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
  }

  /** Jumps time without firing anything (a blocked loop). */
  block(us: number): void {
    this.#now += us;
  }
}
