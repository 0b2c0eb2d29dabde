// What a Worker sees of its handler instance (dispatcher.md §4.2.4): a Runner, and the RunnerHost
// the runner reports to. Requests are never retried: a failure answers WORKER_FAILED.

import type { DispatcherLogger } from '../log.ts';
import type { Envelope, Outcome } from '../messages.ts';

export interface RunnerHost {
  readonly log: DispatcherLogger;
  /** The handler instance is up (first time only). */
  ready(): void;
  /** The handler could not start (missing executable, module load error). */
  startFailed(error: string): void;
  done(e: Envelope, out: Outcome): void;
  /** The instance died; its requests were failed. The worker crashes (and is restarted per §7.1). */
  died(reason: string): void;
  /** A hung instance was terminated and replaced (§4.3, §4.4); its requests were failed. */
  replaced(reason: string): void;
}

export interface Runner {
  readonly capacity: number;
  /** Requests accepted and not yet done. */
  readonly busy: number;
  start(): void;
  run(e: Envelope): void;
  /** Periodic check for hangs and timeouts. */
  check(now: number): void;
  /** Answers WORKER_FAILED for every request in hand (the worker goes away). */
  failAll(reason: string): void;
  stop(): void;
}

export const failed = (message: string): Outcome => ({ ok: false, code: 'WORKER_FAILED', message });
