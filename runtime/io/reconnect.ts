// When to try a lost connection again: the one reconnect policy of the runtime, used by node
// links (runtime/nodes) and the event dispatcher's permanent connections. Two schedules behind
// one shape, kept pure (an index in, a pause out) so one policy serves many links:
// - the pause list of eventdispatcher.md §4.1 (its syntax parsed by protocols/eventdispatcher),
//   e.g. "1,1,1,3,5": the first attempt at once (or after |p0| when p0 < 0), then the listed
//   pauses, the last one repeating; a list restarts after a successful connect (at index 1 when
//   p0 <= 0 and there are several entries); a pause of 0 is never armed, so "0" tries once only;
// - exponential backoff { initialMs, factor, maxMs }: at once, then initial, x factor, up to max.
// A ReconnectCursor walks a policy with state (the §4.1 interface, in seconds) for owners that
// keep one cursor per connection.

import { InvalidParameterError } from '../../protocols/eventdispatcher/errors.ts';
import { MAX_PAUSES, parsePauseList } from '../../protocols/eventdispatcher/pauses.ts';

export { parseDuration, parsePauseList } from '../../protocols/eventdispatcher/pauses.ts';

export interface ExponentialSpec {
  initialMs: number;
  factor: number;
  maxMs: number;
}

/** A pause list (string syntax, one entry in seconds, or entries in seconds) or exponential. */
export type ReconnectSpec = string | number | number[] | ExponentialSpec;

export interface ReconnectPolicy {
  /** Wait (ms) before the first attempt after construction or after a drop. */
  readonly initialWaitMs: number;
  /** Index the schedule restarts at after a successful connect. */
  readonly restartIndex: number;
  /** How many distinct steps the schedule has before its last pause repeats (Infinity: none). */
  readonly steps: number;
  /** The pause taken at attempt `index` (ms), and the index of the next one; null: stop trying. */
  pause(index: number): { ms: number; next: number } | null;
}

/** A pause list in seconds from any of its spellings; throws naming the bad entry. */
export function pauseSeconds(spec: string | number | number[]): number[] {
  if (typeof spec === 'string') return parsePauseList(spec);
  const list = typeof spec === 'number' ? [spec] : spec.length === 0 ? [60] : spec;
  if (list.length > MAX_PAUSES) throw new InvalidParameterError(`too many pause durations: a pause list has at most ${MAX_PAUSES} entries.`);
  for (const s of list) if (!Number.isFinite(s)) throw new InvalidParameterError(`pause duration "${s}" is not valid.`);
  return list.slice();
}

export function pauseListPolicy(spec: string | number | number[]): ReconnectPolicy {
  const p = pauseSeconds(spec).map((s) => s * 1000);
  const last = p.length - 1;
  return {
    initialWaitMs: p[0] < 0 ? -p[0] : 0,
    restartIndex: p.length > 1 && p[0] <= 0 ? 1 : 0,
    steps: p.length,
    pause(index) {
      const ms = Math.abs(p[Math.min(index, last)]);
      if (ms === 0) return null;
      return { ms, next: Math.min(index + 1, last) };
    },
  };
}

export function exponentialPolicy(o: ExponentialSpec): ReconnectPolicy {
  return {
    initialWaitMs: 0,
    restartIndex: 0,
    steps: Infinity,
    pause(index) {
      return { ms: Math.min(o.maxMs, o.initialMs * o.factor ** index), next: index + 1 };
    },
  };
}

export function reconnectPolicy(spec: ReconnectSpec = '1,1,1,3,5'): ReconnectPolicy {
  return typeof spec === 'object' && !Array.isArray(spec) ? exponentialPolicy(spec) : pauseListPolicy(spec);
}

/** The attempt times (ms from the drop) while the peer stays down: the policy's whole schedule. */
export function attemptTimes(policy: ReconnectPolicy, attempts: number, startIndex = 0): number[] {
  const out: number[] = [];
  let t = policy.initialWaitMs;
  let i = startIndex;
  for (let n = 0; n < attempts; n++) {
    out.push(t);
    const p = policy.pause(i);
    if (p === null) break;
    t += p.ms;
    i = p.next;
  }
  return out;
}

/** A policy walked with state, in seconds (the interface of eventdispatcher.md §4.1). */
export interface ReconnectWalk {
  initialDelay(): number;
  /** The next delay (0: do not arm it), or -1 once the steps are used up (the last one repeats). */
  nextDelay(): number;
  restart(): void;
}

export class ReconnectCursor implements ReconnectWalk {
  readonly policy: ReconnectPolicy;
  #index: number;

  constructor(policy: ReconnectPolicy) {
    this.policy = policy;
    this.#index = policy.restartIndex;
  }

  initialDelay(): number {
    return this.policy.initialWaitMs / 1000;
  }

  nextDelay(): number {
    if (this.#index >= this.policy.steps) return -1;
    const p = this.policy.pause(this.#index++);
    return p === null ? 0 : p.ms / 1000;
  }

  restart(): void {
    this.#index = this.policy.restartIndex;
  }

  /** Current step (for tests and inspection). */
  get index(): number {
    return this.#index;
  }
}

/**
 * The §4.1 pause list as a cursor. A number argument is ONE entry in microseconds (the API unit);
 * a string is the configuration syntax in seconds.
 */
export class PauseDurations extends ReconnectCursor {
  readonly #pauses: readonly number[];

  constructor(value: string | number = '') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new InvalidParameterError(`pause duration "${value}" is not valid.`);
    const pauses = typeof value === 'number' ? [value / 1_000_000] : parsePauseList(value);
    super(pauseListPolicy(pauses));
    this.#pauses = pauses;
  }

  /** The entries in seconds (negative values kept as given). */
  get pauses(): readonly number[] {
    return this.#pauses;
  }
}

/** Exponential backoff in seconds: at once, then 1, 2, 4 ... s up to max by default. */
export class ExponentialBackoff extends ReconnectCursor {
  constructor(o: { initial?: number; factor?: number; max?: number } = {}) {
    super(exponentialPolicy({ initialMs: (o.initial ?? 1) * 1000, factor: o.factor ?? 2, maxMs: (o.max ?? 3600) * 1000 }));
  }
}
