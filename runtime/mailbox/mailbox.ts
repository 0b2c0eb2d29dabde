// Bounded mailbox with per-message priorities (lower first) and an overflow policy.
// One queue per priority level in use; the common single-level case stays a plain ring buffer.

import { TripleQueue, type Slot } from './queue.ts';
import type { OverflowPolicy } from '../actor/types.ts';

export type Offer = 'ok' | 'rejected' | 'dropped-newest' | 'dropped-oldest' | 'over';

interface Level {
  priority: number;
  queue: TripleQueue;
}

export class Mailbox {
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  private levels: Level[] = [{ priority: 0, queue: new TripleQueue() }];
  size = 0;
  /** Filled by offer() when a message was evicted by drop-oldest. */
  readonly evicted: Slot = { msg: undefined, from: undefined, askId: 0 };

  constructor(capacity = 100_000, overflow: OverflowPolicy = 'reject') {
    if (!(capacity >= 1)) throw new RangeError(`mailbox capacity must be >= 1, got ${capacity}`);
    this.capacity = capacity;
    this.overflow = overflow;
  }

  /**
   * Enqueues unless the policy refuses. `over` means accepted but above capacity
   * (backpressure: the producer should wait).
   */
  offer(msg: unknown, from: unknown, askId: number, priority = 0): Offer {
    if (this.size >= this.capacity) {
      switch (this.overflow) {
        case 'reject':
          return 'rejected';
        case 'drop-newest':
          return 'dropped-newest';
        case 'drop-oldest':
          // A newcomer less urgent than everything queued is itself the message to drop.
          if (priority > this.leastUrgentQueued()) return 'dropped-newest';
          this.shiftLowestPriority(this.evicted);
          this.push(msg, from, askId, priority);
          return 'dropped-oldest';
        case 'backpressure':
          this.push(msg, from, askId, priority);
          return 'over';
      }
    }
    this.push(msg, from, askId, priority);
    return this.overflow === 'backpressure' && this.size >= this.capacity ? 'over' : 'ok';
  }

  /**
   * Enqueues a run of `n` tells from one sender at the default priority at once when all of it
   * fits below capacity (the common case for mail that arrived in one frame); false when it does
   * not, and nothing was enqueued: the caller offers them one by one (the overflow policy).
   */
  offerRun(msgs: unknown[], n: number, from: unknown): boolean {
    if (this.size + n >= this.capacity) return false;
    const levels = this.levels;
    const level = levels.length === 1 && levels[0].priority === 0 ? levels[0] : this.levelFor(0);
    level.queue.pushRun(msgs, n, from);
    this.size += n;
    return true;
  }

  shift(out: Slot): boolean {
    const levels = this.levels;
    for (let i = 0; i < levels.length; i++) {
      if (levels[i].queue.shift(out)) {
        this.size--;
        return true;
      }
    }
    return false;
  }

  /** Visits queued messages in delivery order (priority, then age). */
  forEach(fn: (msg: unknown, from: unknown, askId: number, priority: number) => void): void {
    for (const l of this.levels) l.queue.forEach((m, f, a) => fn(m, f, a, l.priority));
  }

  clear(): void {
    for (const l of this.levels) l.queue.clear();
    this.size = 0;
  }

  private push(msg: unknown, from: unknown, askId: number, priority: number): void {
    const levels = this.levels;
    let level: Level | undefined;
    if (levels.length === 1 && levels[0].priority === priority) level = levels[0];
    else level = this.levelFor(priority);
    level.queue.push(msg, from, askId);
    this.size++;
  }

  private levelFor(priority: number): Level {
    const levels = this.levels;
    let i = 0;
    while (i < levels.length && levels[i].priority < priority) i++;
    if (i < levels.length && levels[i].priority === priority) return levels[i];
    const level = { priority, queue: new TripleQueue() };
    levels.splice(i, 0, level);
    return level;
  }

  private leastUrgentQueued(): number {
    for (let i = this.levels.length - 1; i >= 0; i--) if (this.levels[i].queue.length > 0) return this.levels[i].priority;
    return Infinity;
  }

  /** drop-oldest evicts from the least urgent level, so urgent mail survives floods. */
  private shiftLowestPriority(out: Slot): void {
    for (let i = this.levels.length - 1; i >= 0; i--) {
      if (this.levels[i].queue.shift(out)) {
        this.size--;
        return;
      }
    }
  }
}
