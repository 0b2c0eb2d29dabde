// When to try a lost link again. Two policies behind one shape, kept pure (a state in, a delay
// out) so that the event dispatcher's permanent connections can reuse them:
// - the pause list of eventdispatcher.md §4.1 (the default), e.g. "1,1,1,3,5": the first attempt
//   at once (or after |p0| when p0 < 0), then the listed pauses, the last one repeating; a list
//   restarts after a successful connect (at index 1 when p0 <= 0 and there are several entries);
//   a pause of 0 is never armed, so "0" tries once only;
// - exponential backoff { initialMs, factor, maxMs }: at once, then initial, x factor, up to max.

export type ReconnectSpec = string | number | number[] | { initialMs: number; factor: number; maxMs: number };

export interface ReconnectPolicy {
  /** Wait (ms) before the first attempt after construction or after a drop. */
  readonly initialWaitMs: number;
  /** Index the list restarts at after a successful connect. */
  readonly restartIndex: number;
  /** The pause taken at attempt `index` (ms), and the index of the next one; null: stop trying. */
  pause(index: number): { ms: number; next: number } | null;
}

const UNIT_S: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, month: 2_592_000, y: 31_536_000 };
const MAX_ENTRIES = 254;

/** Parses a pause list (seconds, with optional unit suffixes); throws naming the bad entry. */
export function parsePauseList(spec: string | number | number[]): number[] {
  if (typeof spec === 'number') return [spec];
  if (Array.isArray(spec)) return spec.length === 0 ? [60] : spec.slice(0, MAX_ENTRIES);
  if (spec.trim() === '') return [60];
  const out: number[] = [];
  for (const raw of spec.split(',')) {
    const d = raw.trim();
    const m = /^(-?\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(d);
    const unit = m ? UNIT_S[m[2]] : undefined;
    if (!m || unit === undefined) throw new Error(`pause duration "${d}" is not valid.`);
    out.push(Number(m[1]) * unit);
  }
  if (out.length > MAX_ENTRIES) throw new Error(`a pause list has at most ${MAX_ENTRIES} entries, found ${out.length}`);
  return out;
}

export function pauseListPolicy(spec: string | number | number[]): ReconnectPolicy {
  const p = parsePauseList(spec).map((s) => s * 1000);
  return {
    initialWaitMs: p[0] < 0 ? -p[0] : 0,
    restartIndex: p.length > 1 && p[0] <= 0 ? 1 : 0,
    pause(index) {
      const ms = Math.abs(p[Math.min(index, p.length - 1)]);
      if (ms === 0) return null;
      return { ms, next: Math.min(index + 1, p.length - 1) };
    },
  };
}

export function exponentialPolicy(o: { initialMs: number; factor: number; maxMs: number }): ReconnectPolicy {
  return {
    initialWaitMs: 0,
    restartIndex: 0,
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
