// Shared helpers for the kernel tests: bounded polling, event recording, error codes.

import { ActorSystem, type StampedEvent } from '../../runtime/index.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lets a threads: 0 system run everything already queued (turns run on microtasks and setImmediate). */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Polls `fn` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 4000, everyMs = 5): Promise<NonNullable<T>> {
  const end = performance.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}

export interface Recording {
  list: StampedEvent[];
  /** Events of a type (and path), optionally only those recorded from index `from` on. */
  of(type: StampedEvent['type'], path?: string, from?: number): StampedEvent[];
  stop(): void;
}

/** Records the system's event stream from now on. */
export function record(sys: ActorSystem): Recording {
  const list: StampedEvent[] = [];
  const stop = sys.events.subscribe((e) => list.push(e));
  return {
    list,
    of: (type, path, from = 0) => list.slice(from).filter((e) => e.type === type && (path === undefined || ('path' in e && e.path === path))),
    stop,
  };
}

/**
 * Waits until the actor at `path` exists on its thread (its spawn event reached main). Needed
 * before the test talks to an actor spawned by an actor on a third thread: the spawn and the
 * test's mail travel on different links (see the todo test in fifo.test.ts).
 */
export async function whenSpawned(sys: ActorSystem, path: string, timeoutMs = 4000): Promise<void> {
  await waitFor(() => sys.lookup(path), `${path} to be spawned`, timeoutMs);
}

/** The `code` of a rejected promise (fails if it resolves). */
export async function rejectionCode(p: Promise<unknown>): Promise<string> {
  try {
    const v = await p;
    return `resolved with ${JSON.stringify(v)}`;
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${String(err)}`;
  }
}

/** True when `p` is still pending after the current macrotask queue drained. */
export async function isPending(p: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  const r = await Promise.race([p.then(() => 'done', () => 'done'), new Promise((res) => setImmediate(() => res(marker)))]);
  return r === marker;
}

const fixturesUrl = new URL('./fixtures/actors.ts', import.meta.url).href;

/**
 * Systems for one test file: `start(threads)` starts a silent system (workers preload the
 * fixtures) and every system started is stopped when the file's tests end.
 */
export function systemsForFile(afterHook: (fn: () => Promise<void>) => void): (threads: number) => Promise<ActorSystem> {
  const systems: ActorSystem[] = [];
  afterHook(async () => {
    await Promise.all(systems.map((s) => s.stop(2000)));
  });
  return async (threads) => {
    const sys = await ActorSystem.start({ threads, logLevel: 'silent', preload: threads ? [fixturesUrl] : [] });
    systems.push(sys);
    return sys;
  };
}

/** Who drop-oldest evicts in the mailbox models: the oldest of the least urgent (highest number) priority. */
export function victimIndex<T extends { prio: number }>(items: readonly T[]): number {
  let worst = -1;
  for (let i = 0; i < items.length; i++) if (worst < 0 || items[i].prio > items[worst].prio) worst = i;
  return worst;
}
