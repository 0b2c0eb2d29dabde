// When a permanent connection tries to connect (eventdispatcher.md §4.1): the kernel's reconnect
// policy (runtime/io/reconnect.ts: the pause list, the default, or the offered exponential
// backoff) walked over a ConnectionTimer so that attempts lie on the timer's grid. Pure: the
// xstate machine in permanent.ts asks it when to try next.

import { ExponentialBackoff, PauseDurations, type ReconnectWalk } from '../../runtime/io/reconnect.ts';
import { ConnectionTimer } from './timer.ts';

export type PolicyConfig = string | number | { exponential: { initial?: number; factor?: number; max?: number } };

/** A pause list string/seconds (default "60"), or `{ exponential: {...} }` (seconds). */
export function makePolicy(config: PolicyConfig | undefined): ReconnectWalk {
  if (config === undefined) return new PauseDurations('');
  if (typeof config === 'number') return new PauseDurations(String(config));
  if (typeof config === 'string') return new PauseDurations(config);
  return new ExponentialBackoff(config.exponential);
}

export class ReconnectSchedule {
  readonly policy: ReconnectWalk;
  readonly timer = new ConnectionTimer();
  /** The timer is disabled while an attempt runs and while connected. */
  enabled = true;

  constructor(policy: ReconnectWalk, nowUs: number) {
    this.policy = policy;
    // The first attempt happens on the first round, or after |p[0]| when p[0] < 0.
    this.timer.setTimeoutDate(nowUs + Math.round(policy.initialDelay() * 1_000_000));
  }

  /** When the next attempt is due (µs), or -1: disabled or nothing armed ([0] tries once only). */
  dueAt(): number {
    return this.enabled ? this.timer.deadline() : -1;
  }

  /** The timer fired: arm the next delay (a 0 delay is never armed) and disable for the attempt. */
  fire(nowUs: number): boolean {
    if (this.timer.fire(nowUs) === null) return false;
    const d = this.policy.nextDelay();
    if (d > 0) this.timer.setTimeoutDelay(Math.round(d * 1_000_000), nowUs);
    this.enabled = false;
    return true;
  }

  /** A failed attempt: re-enable; a tick that passed during the attempt fires at once. */
  failed(): void {
    this.enabled = true;
  }

  /** Connected: the list restarts; the timer stays disabled. */
  connected(): void {
    this.policy.restart();
  }

  /** The messenger dropped: re-enable; immediate when it lived longer than the pause in force. */
  dropped(): void {
    this.enabled = true;
  }
}
