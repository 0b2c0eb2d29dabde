// Spawning: a child made here or sent to its thread, a definition loaded on first use (mail held
// in a placeholder meanwhile), and mail held for a path before its actor existed.

import { Cell, type ChildRecord } from '../actor/cell.ts';
import type { Ref } from '../actor/ref.ts';
import { findDef, loadDef, defineActor, type ActorDef } from '../actor/behavior.ts';
import { actorDead, describeError } from '../actor/errors.ts';
import type { Host } from './host.ts';
import type { HostMsg } from './host-types.ts';
import { refFor } from './directory.ts';
import { rehydrate } from '../threads/wire.ts';
import { schedule } from './scheduler.ts';
import { replyError } from './asks.ts';
import { postHost } from '../threads/send.ts';

/** The root guardian's behaviour, and a placeholder's while its definition loads. */
export const Root = defineActor<never>(import.meta.url, 'Root', () => ({ receive() {} }));

export function spawnChild(h: Host, parent: Ref<unknown>, rec: ChildRecord): void {
  // The main thread's registry learns of remote spawns by event; a spawn made here is known now.
  if (h.registry && !rec.options.quiet) h.registry.set(rec.ref.path, rec.ref.thread);
  if (rec.ref.thread === h.thread) {
    createCell(h, parent, rec.ref.path, rec.module, rec.defName, rec.props, rec.options);
    return;
  }
  const { ref, ...rest } = rec;
  postHost(h, rec.ref.thread, {
    t: 'spawn',
    parent: { path: parent.path, thread: parent.thread },
    rec: { ...rest, path: ref.path, thread: ref.thread },
  });
}

export function createCell(h: Host, parent: Ref<unknown>, path: string, module: string, defName: string, props: unknown, options: ChildRecord['options']): void {
  const stale = h.cells.get(path);
  if (stale) {
    // A respawn raced the stop of the previous incarnation: the old one is discarded.
    h.cells.delete(path);
    stale.state = 'dead';
  }
  const def = findDef(`${module}#${defName}`);
  if (def) {
    startCell(h, parent, path, def, props, options);
    return;
  }
  // Unknown here yet: load the module, holding mail for the path meanwhile in a placeholder.
  const holder = new Cell(h, path, parent, Root, undefined, { ...options, disabled: true, mailbox: { capacity: Infinity } });
  // Never run: system messages (watch, enable, stop...) wait with the mail for the real cell.
  holder.scheduled = true;
  h.cells.set(path, holder);
  releaseHeld(h, holder);
  // Loaded a macrotask later: importing a module graph runs synchronously for milliseconds, and
  // what the parent starts in the same turn (a listener's bind, whose callbacks wait for this
  // turn's microtasks) goes first. Its mail waits in the placeholder either way.
  new Promise<void>((r) => setImmediate(r)).then(() => loadDef(module, defName)).then(
    (d) => {
      if (h.cells.get(path) !== holder) return;
      h.cells.delete(path);
      const cell = startCell(h, parent, path, d, props, options);
      holder.mailbox.forEach((m, f, a, prio) => h.deliverLocal(cell, m, f as Ref<unknown> | null, a, prio, -2));
      for (const s of holder.sys) cell.sys.push(s);
      schedule(h, cell);
    },
    (err) => {
      const why = describeError(err);
      h.log.error('cannot load actor definition', { path, module, name: defName, error: why });
      h.cells.delete(path);
      holder.mailbox.forEach((_m, _f, a) => {
        if (a) replyError(h, a, actorDead(path, `cannot load its definition: ${why}`));
      });
      if (holder.mailbox.size) h.countDeadLetters(path, holder.mailbox.size, 'definition not loaded');
      for (const s of holder.sys) h.sysToMissing(path, s);
      h.sendSys(parent, { t: 'failed', name: holder.name, reason: why, lost: true });
    },
  );
}

export function startCell(h: Host, parent: Ref<unknown>, path: string, def: ActorDef<any, any>, props: unknown, options: ChildRecord['options']): Cell {
  const cell = new Cell(h, path, parent, def, props, options);
  h.cells.set(path, cell);
  if (options.quiet) h.quietCounts.spawn++;
  else h.emit({ type: 'spawn', path, thread: h.thread, kind: def.name, parent: parent.path });
  const re = options.respawn;
  if (re) h.emit({ type: 'restart', path, thread: h.thread, reason: re.reason, restarts: re.restarts });
  cell.instantiate();
  releaseHeld(h, cell);
  return cell;
}

export function releaseHeld(h: Host, cell: Cell): void {
  const items = h.unborn.take(cell.path);
  if (!items) return;
  for (const it of items) {
    if (it.sys === null) h.deliverLocal(cell, it.msg, it.from, it.askId, it.priority, it.fromThread);
    else {
      cell.sys.push(it.sys);
      schedule(h, cell);
    }
  }
}

/** A spawn sent from another thread: refs in its props become live refs here. */
export function spawnArrived(h: Host, m: Extract<HostMsg, { t: 'spawn' }>): void {
  const parent = refFor(h, m.parent.path, m.parent.thread);
  const props = m.rec.props;
  if (props !== null && typeof props === 'object') rehydrate(h, props as Record<string, unknown>);
  createCell(h, parent, m.rec.path, m.rec.module, m.rec.defName, m.rec.props, m.rec.options);
}
