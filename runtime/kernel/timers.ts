// Per-actor timers. Periodic timers follow a fixed schedule (start + k*period): a late tick does
// not push later ones back, and ticks missed while the thread was busy are skipped, not bunched.

import type { Timers } from '../actor/types.ts';

const MAX_DELAY = 2 ** 31 - 1;

export class ActorTimers<M> implements Timers<M> {
  private handles = new Map<string, NodeJS.Timeout>();
  private deliver: (message: M) => void;

  constructor(deliver: (message: M) => void) {
    this.deliver = deliver;
  }

  once(key: string, ms: number, message: M): void {
    this.cancel(key);
    // setTimeout fires at once beyond 2^31-1 ms: longer delays are waited out in steps.
    const due = performance.now() + Math.max(0, ms);
    const arm = (): void => {
      const left = due - performance.now();
      const h = setTimeout(() => {
        if (due - performance.now() > 1) return arm();
        this.handles.delete(key);
        this.deliver(message);
      }, Math.min(MAX_DELAY, Math.max(0, left)));
      this.handles.set(key, h);
    };
    arm();
  }

  every(key: string, ms: number, message: M): void {
    if (!(ms > 0 && ms <= MAX_DELAY)) throw new RangeError(`periodic timer ${key}: period must be > 0 and <= ${MAX_DELAY} ms, got ${ms}`);
    this.cancel(key);
    const start = performance.now();
    let tick = 1;
    const arm = (): void => {
      const h = setTimeout(fire, Math.max(0, start + tick * ms - performance.now()));
      this.handles.set(key, h);
    };
    const fire = (): void => {
      this.deliver(message);
      // Skip every tick whose time has already passed.
      tick = Math.max(tick + 1, Math.floor((performance.now() - start) / ms) + 1);
      if (this.handles.has(key)) arm();
    };
    arm();
  }

  cancel(key: string): void {
    const h = this.handles.get(key);
    if (h) {
      clearTimeout(h);
      this.handles.delete(key);
    }
  }

  has(key: string): boolean {
    return this.handles.has(key);
  }

  cancelAll(): void {
    for (const h of this.handles.values()) clearTimeout(h);
    this.handles.clear();
  }
}
