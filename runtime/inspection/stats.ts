// Periodic `stats` events: the busiest actors of a thread (mailbox depth, messages handled since
// the last report). The event stream's view of load, without any per-message cost.

import type { Cell } from '../actor/cell.ts';
import type { RuntimeEvent } from './events.ts';

const TOP = 50;

export class StatsReporter {
  private timer: NodeJS.Timeout | null = null;
  private last = new Map<string, number>();

  start(intervalMs: number, thread: number, cells: Map<string, Cell>, emit: (ev: RuntimeEvent) => void): void {
    this.stop();
    this.timer = setInterval(() => {
      const rows: { path: string; depth: number; processed: number }[] = [];
      let processed = 0;
      for (const c of cells.values()) {
        const delta = c.processed - (this.last.get(c.path) ?? 0);
        if (delta > 0) processed += delta;
        if (delta > 0 || c.mailbox.size > 0) rows.push({ path: c.path, depth: c.mailbox.size, processed: delta });
        this.last.set(c.path, c.processed);
      }
      for (const p of this.last.keys()) if (!cells.has(p)) this.last.delete(p);
      if (rows.length === 0) return;
      rows.sort((a, b) => b.depth - a.depth || b.processed - a.processed);
      emit({ type: 'stats', thread, actors: rows.slice(0, TOP), total: { processed, actors: cells.size } });
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
