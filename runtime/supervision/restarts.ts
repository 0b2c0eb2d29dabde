// Carrying out a restart decision: which of a parent's children restart (its strategy), after
// which backoff, and how (a restart message, or a new spawn for a child whose thread died).

import { restartSet } from './supervision.ts';
import type { Cell, ChildRecord } from '../actor/cell.ts';

/**
 * Restarts the children that the failure of `rec` concerns after `delay` ms. `lost` names
 * children whose cells went with their thread: they are spawned again (also outside the
 * strategy's set, as nothing else would bring them back).
 */
export function restartChildren(cell: Cell, rec: ChildRecord, reason: string, lost: ReadonlySet<string>, delay: number): void {
  const recs = cell.childRecs;
  const order = [...recs.values()];
  const targets = new Set(restartSet(cell.supervisor.strategy, order.length, order.indexOf(rec)).map((i) => order[i]));
  for (const l of lost) {
    const r = recs.get(l);
    if (r && r.options.restart !== 'temporary') targets.add(r);
    else recs.delete(l);
  }
  const go = (): void => {
    for (const t of targets) {
      if (recs.get(t.name) !== t) continue;
      t.restarts++;
      t.startedAt = performance.now();
      const why = t === rec || lost.has(t.name) ? reason : `sibling ${rec.name} failed: ${reason}`;
      if (lost.has(t.name)) cell.host.spawnChild(cell.self, { ...t, options: { ...t.options, respawn: { restarts: t.restarts, reason: why } } });
      else cell.host.sendSys(t.ref, { t: 'restart', reason: why });
    }
  };
  if (delay > 0) setTimeout(go, delay).unref?.();
  else go();
}
