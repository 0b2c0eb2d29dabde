// A permanent (auto-reconnecting) connection (eventdispatcher.md §4) as an xstate machine:
// waiting -> connecting -> connected -> waiting ..., idle when no attempt is armed ([0] after its
// one try), final `done`. The schedule (reconnect.ts) says when to try; the transport is given as
// `attempt`, so the same machine drives TCP, TLS and Unix stream clients, and a fake clock drives
// it in tests. Messages sent while disconnected are dropped, or cached with `cache = true` and
// flushed FIFO on the next connect before the `connected` hook runs (§4.2).

import { assign as _assign, createActor, setup, type Actor, type AnyStateMachine } from 'xstate';
import type { Message } from '../../protocols/eventdispatcher/index.ts';
import type { Logger } from '../../runtime/index.ts';
import type { Clock } from './clock.ts';
import type { ReconnectWalk } from '../../runtime/io/reconnect.ts';
import { ReconnectSchedule } from './reconnect.ts';

void _assign;

/** The live connection a successful attempt produces. */
export interface Messenger {
  /** Writes one message; false when it could not be written. */
  send(msg: Message): boolean;
  close(): void;
}

export interface PermanentOptions {
  clock: Clock;
  policy: ReconnectWalk;
  log: Logger;
  /** Starts one attempt and calls back exactly once with the messenger or the error. */
  attempt(done: (result: Messenger | Error) => void): void;
  /** After the cache was flushed (the communicatord client registers here). */
  connected?(messenger: Messenger): void;
  /** An attempt failed. */
  connectionFailed?(error: Error): void;
  dropped?(): void;
}

type Ev = { type: 'OK' } | { type: 'FAIL' } | { type: 'DROP' } | { type: 'DONE' };

export class PermanentConnection {
  readonly #o: PermanentOptions;
  readonly schedule: ReconnectSchedule;
  readonly #actor: Actor<AnyStateMachine>;
  #messenger: Messenger | null = null;
  #pending: Messenger | null = null;
  #cache: Message[] = [];
  #done = false;
  /** Start times of the last 1024 attempts (µs), for inspection and tests. */
  readonly attempts: number[] = [];
  /** Attempts made in all. */
  attemptCount = 0;

  constructor(o: PermanentOptions) {
    this.#o = o;
    this.schedule = new ReconnectSchedule(o.policy, o.clock.nowUs());
    const machine = setup({
      types: { events: {} as Ev },
      guards: { armed: () => this.schedule.dueAt() !== -1 },
      delays: { due: () => Math.max(0, Math.ceil((this.schedule.dueAt() - o.clock.nowUs()) / 1000)) },
      actions: {
        attempt: () => this.#attempt(),
        connected: () => this.#connected(),
        failed: () => this.schedule.failed(),
        dropped: () => this.#dropped(),
        finish: () => this.#finish(),
      },
    }).createMachine({
      id: 'permanent',
      initial: 'waiting',
      on: { DONE: { target: '.done' } },
      states: {
        waiting: { always: { guard: { type: 'armed' }, target: 'armed' } },
        // armed: an attempt is scheduled; waiting without an armed tick is idle until done.
        armed: { after: { due: { target: 'connecting' } } },
        connecting: { entry: 'attempt', on: { OK: { target: 'connected', actions: 'connected' }, FAIL: { target: 'waiting', actions: 'failed' } } },
        connected: { on: { DROP: { target: 'waiting', actions: 'dropped' } } },
        done: { type: 'final', entry: 'finish' },
      },
    });
    this.#actor = createActor(machine, { clock: o.clock });
    this.#actor.subscribe({ error: (err) => o.log.error('permanent connection machine failed', { error: String(err) }) });
  }

  start(): this {
    this.#actor.start();
    return this;
  }

  get state(): string {
    return String(this.#actor.getSnapshot().value);
  }

  isConnected(): boolean {
    return this.#messenger !== null;
  }

  /** Connected: the messenger's result. Disconnected: false; a copy is cached when `cache` (and not done). */
  send(msg: Message, cache = false): boolean {
    if (this.#messenger !== null) return this.#messenger.send(msg);
    if (cache && !this.#done) this.#cache.push(msg.clone());
    return false;
  }

  get cached(): number {
    return this.#cache.length;
  }

  /** The transport saw the messenger close (hup, error, invalid). */
  messengerDropped(): void {
    if (this.#messenger === null) return;
    this.#actor.send({ type: 'DROP' });
  }

  /** Closes the live messenger; the machine reconnects per the schedule. */
  disconnect(): void {
    const m = this.#messenger;
    if (m === null) return;
    this.messengerDropped();
    m.close();
  }

  /** Done: no more attempts, the cache is cleared, the messenger closed. */
  markDone(): void {
    this.#done = true;
    this.#cache = [];
    this.#actor.send({ type: 'DONE' });
  }

  #attempt(): void {
    const o = this.#o;
    const now = o.clock.nowUs();
    const due = this.schedule.timer.deadline();
    // A timer may wake a fraction of a millisecond before the µs deadline: that is the tick.
    if (!this.schedule.fire(now)) this.schedule.fire(Math.max(now, due));
    this.attemptCount++;
    this.attempts.push(now);
    if (this.attempts.length > 1024) this.attempts.shift();
    o.attempt((result) => {
      if (this.#done) {
        if (!(result instanceof Error)) result.close();
        return;
      }
      if (result instanceof Error) {
        o.log.debug('permanent connection: attempt failed', { error: result.message });
        o.connectionFailed?.(result);
        this.#actor.send({ type: 'FAIL' });
        return;
      }
      this.#pending = result;
      this.#actor.send({ type: 'OK' });
    });
  }

  #connected(): void {
    const m = this.#pending as Messenger;
    this.#pending = null;
    this.#messenger = m;
    this.schedule.connected();
    const cache = this.#cache;
    this.#cache = [];
    for (const msg of cache) m.send(msg);
    this.#o.connected?.(m);
  }

  #dropped(): void {
    this.#messenger = null;
    this.schedule.dropped();
    this.#o.dropped?.();
  }

  #finish(): void {
    const m = this.#messenger;
    this.#messenger = null;
    m?.close();
  }

  stop(): void {
    this.#done = true;
    this.#actor.stop();
    this.#finish();
  }
}
