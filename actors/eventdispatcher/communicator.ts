// The communicator's rounds (eventdispatcher.md §3.3, §3.4) on an injectable clock: a registry of
// connections with a priority (0..255, lower first), an enabled flag and a timer; each round
// re-sorts, snapshots the list, the enabled flags and the deadlines, then delivers per connection
// its queued I/O events and then its own timeout. Connection actors get the same order from the
// kernel (actor priority, enable/disable, per-actor timers); this engine is the exact model of a
// single upstream poll loop, for code that hosts several connections in one actor and for tests.

import { InvalidParameterError, ParameterError } from '../../protocols/eventdispatcher/index.ts';
import type { Logger } from '../../runtime/index.ts';
import type { Clock } from './clock.ts';
import { ConnectionTimer } from './timer.ts';

export type IoEvent = 'read' | 'accept' | 'signal' | 'write' | 'error' | 'hup' | 'invalid';
const EVENT_ORDER: readonly IoEvent[] = ['read', 'accept', 'signal', 'write', 'error', 'hup', 'invalid'];

export interface ConnectionHandlers {
  /** One queued I/O event. */
  event?(kind: IoEvent, conn: Connection): void;
  timeout?(conn: Connection): void;
  added?(conn: Connection): void;
  removed?(conn: Connection): void;
}

export class Connection {
  readonly name: string;
  readonly timer = new ConnectionTimer();
  readonly handlers: ConnectionHandlers;
  /** Whether the connection has an fd-like handle; a timer need not. */
  readonly hasHandle: boolean;
  enabled = true;
  done = false;
  #priority = 100;
  #pending = new Set<IoEvent>();
  communicator: Communicator | null = null;

  constructor(name: string, handlers: ConnectionHandlers = {}, hasHandle = false) {
    this.name = name;
    this.handlers = handlers;
    this.hasHandle = hasHandle;
  }

  get priority(): number {
    return this.#priority;
  }

  set priority(p: number) {
    if (!Number.isInteger(p) || p < 0 || p > 255) {
      throw new ParameterError('connection::set_priority(): priority out of range, this instance of connection accepts priorities between 0 and 255.');
    }
    this.#priority = p;
  }

  /** Queues an I/O event for the next round (a readable socket, a signal...). */
  raise(kind: IoEvent): void {
    this.#pending.add(kind);
    this.communicator?.wake();
  }

  takeEvents(): IoEvent[] {
    const out = EVENT_ORDER.filter((k) => this.#pending.has(k));
    this.#pending.clear();
    return out;
  }

  get hasEvents(): boolean {
    return this.#pending.size > 0;
  }
}

export class Communicator {
  readonly clock: Clock;
  readonly log: Logger;
  #list: Connection[] = [];
  #running = false;
  #wake: (() => void) | null = null;

  constructor(clock: Clock, log: Logger) {
    this.clock = clock;
    this.log = log;
  }

  add(c: Connection | null): boolean {
    if (c === null) return false;
    if (!(c instanceof Connection)) throw new InvalidParameterError('connection has no usable handle');
    if (this.#list.includes(c)) return false;
    this.#list.push(c);
    c.communicator = this;
    c.handlers.added?.(c);
    return true;
  }

  remove(c: Connection): boolean {
    const i = this.#list.indexOf(c);
    if (i === -1) return false;
    this.#list.splice(i, 1);
    c.communicator = null;
    c.handlers.removed?.(c);
    return true;
  }

  get connections(): readonly Connection[] {
    return this.#list;
  }

  wake(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /**
   * One round at the clock's current time. Returns the snapshot's earliest deadline among enabled
   * connections (-1 when none), which the caller waits for when no event is queued.
   */
  round(): number {
    // Stable sort by priority, every round ([FIX]: upstream left late additions unsorted).
    const snapshot = this.#list.map((c, i) => ({ c, i })).sort((a, b) => a.c.priority - b.c.priority || a.i - b.i).map((x) => x.c);
    const enabled = snapshot.map((c) => c.enabled);
    const deadlines = snapshot.map((c) => c.timer.deadline());
    for (let k = 0; k < snapshot.length; k++) {
      const c = snapshot[k];
      if (!enabled[k] || c.communicator !== this) continue; // disabled at snapshot time, or removed this round
      for (const ev of c.takeEvents()) {
        c.handlers.event?.(ev, c);
        if (c.communicator !== this) break;
      }
      if (c.communicator !== this) continue;
      const kind = c.timer.fire(this.clock.nowUs(), deadlines[k]);
      if (kind !== null) c.handlers.timeout?.(c);
    }
    return this.nextDeadline();
  }

  /** Earliest deadline among enabled connections, or -1. */
  nextDeadline(): number {
    let min = -1;
    for (const c of this.#list) {
      if (!c.enabled) continue;
      const d = c.timer.deadline();
      if (d !== -1 && (min === -1 || d < min)) min = d;
    }
    return min;
  }

  /** ms to wait for a deadline: rounded down, at least 1 when positive, 0 when past. */
  static waitMs(deadlineUs: number, nowUs: number): number {
    const left = deadlineUs - nowUs;
    if (left <= 0) return 0;
    return Math.max(1, Math.floor(left / 1000));
  }

  /**
   * Runs rounds until the registry is empty (true), or until every connection is disabled with no
   * event queued and no timer armed (FATAL log, false). Re-entry throws.
   */
  async run(): Promise<boolean> {
    if (this.#running) throw new ParameterError('communicator::run(): run() is already running.');
    this.#running = true;
    try {
      for (;;) {
        if (this.#list.length === 0) return true;
        const deadline = this.round();
        if (this.#list.length === 0) return true;
        const pending = this.#list.some((c) => c.enabled && c.hasEvents);
        if (pending) continue;
        if (deadline === -1 && this.#list.every((c) => !c.enabled)) {
          this.log.error('All connections are disabled?', { level: 'fatal' });
          return false;
        }
        await new Promise<void>((resolve) => {
          let id: unknown = null;
          this.#wake = () => {
            if (id !== null) this.clock.clearTimeout(id);
            resolve();
          };
          if (deadline !== -1) {
            id = this.clock.setTimeout(() => {
              this.#wake = null;
              resolve();
            }, Communicator.waitMs(deadline, this.clock.nowUs()));
          }
        });
      }
    } finally {
      this.#running = false;
    }
  }
}
