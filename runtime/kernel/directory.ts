// Where actors are: refs by path (a cache of values), placement of new actors on threads, the
// local cell behind a ref, and lookups by path (the main thread's registry answers for workers).

import { CELL, Ref } from '../actor/ref.ts';
import type { Cell } from '../actor/cell.ts';
import type { Host } from './host.ts';
import type { ActorRef, Placement } from '../actor/types.ts';
import { postHost } from '../threads/send.ts';

export function refFor<T>(h: Host, path: string, thread: number, json = false): Ref<T> {
  let r = h.refs.get(path);
  if (r === undefined || r.thread !== thread) {
    // Refs are values: the cache only saves allocations, so it is bounded by clearing it.
    if (h.refs.size >= 65_536) h.refs.clear();
    r = new Ref<T>(h, path, thread, json);
    h.refs.set(path, r);
  } else if (json) r.json = 1;
  return r;
}

/** Thread for a new actor: the topology's placement for its path wins over the spawn option. */
export function place(h: Host, p: Placement | undefined, parentThread: number, path = ''): number {
  const fixed = h.placement?.[path];
  if (fixed !== undefined) p = fixed;
  if (p === undefined) return parentThread;
  if (p === 'main') return -1;
  if (h.workers === 0) return -1;
  if (p === 'any') return h.nextAny++ % h.workers;
  if (!Number.isInteger(p) || p < 0) throw new Error(`invalid thread placement ${p}`);
  return p % h.workers;
}

export function localCell(h: Host, ref: Ref<any>): Cell | undefined {
  let cell = ref[CELL] as Cell | undefined;
  if (cell === undefined || cell.state === 'dead') {
    cell = h.cells.get(ref.path);
    ref[CELL] = cell;
  }
  return cell;
}

export function lookup<T>(h: Host, path: string): Promise<ActorRef<T> | undefined> {
  if (h.cells.has(path)) return Promise.resolve(refFor<T>(h, path, h.thread));
  if (h.registry) {
    const t = h.registry.get(path);
    return Promise.resolve(t === undefined ? undefined : refFor<T>(h, path, t));
  }
  const id = h.lookupSeq++;
  return new Promise((resolve) => {
    h.lookups.set(id, (t) => resolve(t === null ? undefined : refFor<T>(h, path, t)));
    postHost(h, -1, { t: 'lookup', id, path, from: h.thread });
  });
}

/** Main thread: a worker asks which thread `path` lives on. */
export function answerLookup(h: Host, id: number, path: string, from: number): void {
  const thread = h.registry?.get(path) ?? (h.cells.has(path) ? h.thread : null);
  postHost(h, from, { t: 'lookup-result', id, thread });
}

export function lookupAnswered(h: Host, id: number, thread: number | null): void {
  const f = h.lookups.get(id);
  h.lookups.delete(id);
  f?.(thread);
}
