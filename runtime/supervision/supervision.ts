// Supervision arithmetic: restart intensity windows, backoff delays, and which siblings a
// strategy restarts. Kept free of actor plumbing so it can be model-tested directly.

import type { SupervisionStrategy, SupervisorOptions, BackoffOptions, ChildFailure, DeciderPreset, SupervisionDecision } from '../actor/types.ts';

export interface ResolvedSupervisor {
  strategy: SupervisionStrategy;
  maxRestarts: number;
  withinMs: number;
  backoff: BackoffOptions;
  decider: DeciderPreset;
}

export const defaultSupervisor: ResolvedSupervisor = {
  strategy: 'one-for-one',
  maxRestarts: 10,
  withinMs: 10_000,
  backoff: { minMs: 0, maxMs: 0, jitter: 0 },
  decider: { kind: 'intensity' },
};

/** A decision with the reason an escalation gives its own parent. */
export interface Verdict {
  decision: SupervisionDecision;
  why: string;
}

/**
 * What to do about one failure: the parent behaviour's own decision (`own`) when it gave one,
 * else the supervisor's named decider.
 */
export function decide(sup: ResolvedSupervisor, f: ChildFailure, own?: SupervisionDecision, parent = ''): Verdict {
  const preset = presetVerdict(sup, f);
  if (own === undefined || own === preset.decision) return preset;
  return { decision: own, why: own === 'escalate' ? `child ${f.child} failed and ${parent} escalates: ${f.reason}` : f.reason };
}

function presetVerdict(sup: ResolvedSupervisor, f: ChildFailure): Verdict {
  const d = sup.decider;
  if (d.kind === 'always-restart') return { decision: 'restart', why: f.reason };
  if (d.kind === 'quick-death' && f.uptimeMs < d.quickDeathMs) {
    return { decision: 'escalate', why: `quick death: ${f.child} died ${Math.round(f.uptimeMs)} ms after its start (within ${d.quickDeathMs} ms): ${f.reason}` };
  }
  if (f.failuresInWindow > sup.maxRestarts) {
    return { decision: 'escalate', why: `child ${f.child} exceeded ${sup.maxRestarts} restarts in ${sup.withinMs} ms: ${f.reason}` };
  }
  return { decision: 'restart', why: f.reason };
}

/**
 * Named supervision presets for `DefOptions.supervisor` and `SpawnOptions.supervisor`.
 * `alwaysRestart`: children are restarted however often they fail, with backoff (connections'
 * groups, worker pools: a failure there is local and never a reason to give up).
 * `quickDeath`: a child that dies within `quickDeathMs` of its start, or more than `maxRestarts`
 * times within `withinMs`, makes the parent fail in turn (a subsystem that cannot run).
 */
export const supervisors = {
  alwaysRestart(backoff: BackoffOptions = { minMs: 50, maxMs: 2000, jitter: 0.2 }, strategy: SupervisionStrategy = 'one-for-one'): SupervisorOptions {
    return { strategy, backoff, decider: { kind: 'always-restart' } };
  },
  quickDeath(o: { quickDeathMs: number; maxRestarts: number; withinMs: number; backoff?: BackoffOptions; strategy?: SupervisionStrategy }): SupervisorOptions {
    return { strategy: o.strategy ?? 'one-for-one', maxRestarts: o.maxRestarts, withinMs: o.withinMs, backoff: o.backoff, decider: { kind: 'quick-death', quickDeathMs: o.quickDeathMs } };
  },
};

export function resolveSupervisor(...layers: (SupervisorOptions | undefined)[]): ResolvedSupervisor {
  const out = { ...defaultSupervisor };
  for (const l of layers) {
    if (!l) continue;
    if (l.strategy) out.strategy = l.strategy;
    if (l.maxRestarts !== undefined) out.maxRestarts = l.maxRestarts;
    if (l.withinMs !== undefined) out.withinMs = l.withinMs;
    if (l.backoff) out.backoff = l.backoff;
    if (l.decider) out.decider = l.decider;
  }
  return out;
}

/**
 * Sliding window of restart times: records one and says how many fell within the window. Bounded:
 * a child that crash-loops under an always-restart decider must not grow it (or make each record
 * O(n)), so at most WINDOW_CAP times are kept and the count saturates there.
 */
export class RestartWindow {
  private times: number[] = [];
  private head = 0;

  /** Returns the number of restarts in the window including this one (at most WINDOW_CAP). */
  record(now: number, withinMs: number): number {
    const times = this.times;
    let head = this.head;
    while (head < times.length && now - times[head] >= withinMs) head++;
    if (times.length - head >= WINDOW_CAP) head++;
    times.push(now);
    // Compact once the dropped prefix is large: amortised O(1) per record.
    if (head > 64 && head * 2 > times.length) {
      times.splice(0, head);
      head = 0;
    }
    this.head = head;
    return times.length - head;
  }

  get count(): number {
    return this.times.length - this.head;
  }
}

/** The most restart times a window keeps (intensity limits are far below it). */
export const WINDOW_CAP = 10_000;

/** Exponential backoff for the n-th restart in the window (n >= 1), with symmetric jitter. */
export function backoffDelay(b: BackoffOptions, n: number, random: () => number = Math.random): number {
  if (b.maxMs <= 0 && b.minMs <= 0) return 0;
  // A cap below the first delay (e.g. maxMs left at 0) cannot cancel the backoff.
  const base = Math.min(Math.max(b.maxMs, b.minMs), b.minMs * 2 ** Math.max(0, n - 1));
  const j = b.jitter ?? 0;
  const spread = base * j * (random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}

/** Indices (into the ordered children) that a failure of child `failed` restarts. */
export function restartSet(strategy: SupervisionStrategy, count: number, failed: number): number[] {
  switch (strategy) {
    case 'one-for-one':
      return [failed];
    case 'one-for-all':
      return Array.from({ length: count }, (_, i) => i);
    case 'rest-for-one':
      return Array.from({ length: count - failed }, (_, i) => failed + i);
  }
}
