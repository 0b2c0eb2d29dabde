// The scheduler of one thread: a run queue of cells with mail, drained in turns. A turn runs
// cells in priority order within a budget, then yields to I/O. Plain functions over the Host's
// state: `schedule` and `runCell` run for every message.

import type { Cell } from '../actor/cell.ts';
import type { Ref } from '../actor/ref.ts';
import type { Host } from './host.ts';
import type { SysMsg } from './host-types.ts';
import { refFor } from './directory.ts';
import { notifyWritable } from './backpressure.ts';

const MAIL_BUDGET_PER_CELL = 512;
const TURN_BUDGET = 32_768;

export function schedule(h: Host, cell: Cell): void {
  if (cell.scheduled) return;
  cell.scheduled = true;
  h.runQueue.offer(cell, null, 0, cell.priority);
  if (!h.turnScheduled) {
    h.turnScheduled = true;
    queueMicrotask(h.turnFn);
  }
}

/**
 * Tells that arrived together from one sender (a node frame's run): one state check and one
 * mailbox write loop when the whole run fits, else one by one through the overflow policy.
 */
export function deliverRun(h: Host, cell: Cell, msgs: unknown[], n: number, from: Ref<unknown> | null): void {
  if (cell.state !== 'dead' && cell.state !== 'stopping' && cell.mailbox.offerRun(msgs, n, from)) {
    if (!cell.scheduled) schedule(h, cell);
    return;
  }
  for (let i = 0; i < n; i++) h.deliverLocal(cell, msgs[i], from, 0, 0, -2);
}

export function turn(h: Host): void {
  h.turnScheduled = false;
  let budget = TURN_BUDGET;
  const rq = h.runQueue;
  const slot = h.slot;
  while (budget > 0 && rq.shift(slot)) {
    const cell = slot.msg as Cell;
    cell.scheduled = false;
    budget -= runCell(h, cell);
    if (cell.state !== 'dead' && (cell.sys.length > 0 || (cell.mailbox.size > 0 && cell.state === 'running' && !cell.disabled && !cell.awaiting))) {
      schedule(h, cell);
    }
  }
  slot.msg = undefined;
  if (rq.size > 0 && !h.turnScheduled) {
    // Yield to I/O between turns.
    h.turnScheduled = true;
    setImmediate(h.turnFn);
  }
}

export function runCell(h: Host, cell: Cell): number {
  while (cell.sys.length > 0) handleSys(h, cell, cell.sys.shift()!);
  if (cell.state !== 'running' || cell.disabled || cell.awaiting) return 1;
  const mb = cell.mailbox;
  const beh = cell.behavior!;
  const slot = h.slot;
  const prev = h.current;
  h.current = cell;
  let n = 0;
  while (n < MAIL_BUDGET_PER_CELL && mb.shift(slot)) {
    n++;
    cell.curFrom = slot.from as Ref<unknown> | null;
    const askId = slot.askId;
    cell.curAsk = askId;
    try {
      const r = beh.receive(slot.msg, cell) as unknown;
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
        awaitResult(h, cell, r as Promise<void>);
        break;
      }
    } catch (err) {
      cell.crash(err);
      break;
    }
    if (cell.curAsk !== 0) {
      cell.openAsks.add(cell.curAsk);
      cell.curAsk = 0;
    }
    if (cell.state !== 'running' || cell.disabled) break;
  }
  slot.msg = slot.from = undefined;
  if (!cell.awaiting) {
    cell.curAsk = 0;
    cell.curFrom = null;
  }
  h.current = prev;
  cell.processed += n;
  if ((cell.overThreads !== null || cell.writableWaiters !== null) && mb.size <= mb.capacity / 2) notifyWritable(h, cell);
  return n + 1;
}

/** An async handler holds the mailbox until it settles; a rejection is a crash. */
export function awaitResult(h: Host, cell: Cell, p: Promise<void>): void {
  cell.awaiting = true;
  const askId = cell.curAsk;
  const incarnation = cell.behavior;
  p.then(
    () => {
      if (cell.behavior !== incarnation) return; // restarted or stopped meanwhile: stale
      cell.awaiting = false;
      if (cell.curAsk !== 0 && cell.curAsk === askId) cell.openAsks.add(askId);
      cell.curAsk = 0;
      cell.curFrom = null;
      schedule(h, cell);
    },
    (err) => {
      if (cell.behavior !== incarnation) return;
      cell.awaiting = false;
      cell.crash(err);
      cell.curAsk = 0;
      cell.curFrom = null;
    },
  );
}

export function handleSys(h: Host, cell: Cell, s: SysMsg): void {
  switch (s.t) {
    case 'stop':
      cell.stop(s.reason);
      break;
    case 'restart':
      cell.restart(s.reason);
      break;
    case 'failed':
      cell.onChildFailed(s.name, s.reason, s.lost ? new Set([s.name]) : undefined, s.data);
      break;
    case 'child-stopped':
      cell.onChildStopped(s.name, s.path);
      break;
    case 'watch':
      if (cell.state === 'dead') h.sysToMissing(cell.path, s);
      else cell.watchers.set(s.path, refFor(h, s.path, s.thread));
      break;
    case 'unwatch':
      cell.watchers.delete(s.path);
      break;
    case 'terminated': {
      h.remoteWatches.get(s.path)?.delete(cell);
      const b = cell.behavior;
      if (b?.terminated && cell.state === 'running') {
        try {
          b.terminated({ ref: refFor(h, s.path, s.thread), reason: s.reason }, cell);
        } catch (err) {
          cell.crash(err);
        }
      }
      break;
    }
    case 'enable':
      cell.disabled = false;
      break;
    case 'disable':
      cell.disabled = true;
      break;
  }
}
