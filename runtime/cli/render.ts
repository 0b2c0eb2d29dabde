// Text rendering of snapshots for `inspect` and `top`: the actor tree with threads, states,
// mailbox depths and restart counts, then each actor's own `inspect()` details.

import type { SystemSnapshot } from '../kernel/system.ts';
import { buildPanels, type Panel } from '../view/panels.ts';

const threadName = (t: number): string => (t < 0 ? 'main' : `t${t}`);

export function renderTable(rows: Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '  (empty)';
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => cols.map((c) => fmt(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]): string => `  ${vals.map((v, i) => v.padEnd(widths[i])).join('  ')}`.trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

function fmt(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function renderSnapshot(s: SystemSnapshot, rates?: Map<string, number>, o: { panels?: boolean } = {}): string {
  const out: string[] = [];
  out.push(
    `system ${s.name}  pid ${s.pid}  up ${(s.uptimeMs / 1000).toFixed(1)}s  threads ${s.threads.map((t) => `${threadName(t.thread)}(${t.actors})`).join(' ')}`,
  );
  const c = s.counts;
  if (s.node) out.push(`node ${s.node.name}${s.node.url ? ` at ${s.node.url}` : ''}  peers ${s.node.peers.map((p) => `${p.name}(${p.state})`).join(' ') || '-'}`);
  out.push(`spawned ${c.spawn}  stopped ${c.stop}  crashes ${c.crash}  restarts ${c.restart}  escalations ${c.escalate}  dead letters ${c.deadLetters}  thread deaths ${c.threadDied}`);
  out.push('');
  const rows = s.actors.map((a) => {
    const depth = a.path === '/' ? 0 : a.path.split('/').length - 1;
    const row: Record<string, unknown> = {
      actor: `${'  '.repeat(Math.max(0, depth - 1))}${a.path === '/' ? '/' : a.path.slice(a.path.lastIndexOf('/') + 1)}`,
      thread: threadName(a.thread),
      state: a.state,
      kind: a.kind,
      mailbox: a.depth,
      processed: a.processed,
      restarts: a.restarts,
    };
    if (rates) row['msg/s'] = Math.round(rates.get(a.path) ?? 0);
    return row;
  });
  out.push(renderTable(rows));
  if (s.recentDeadLetters?.length) {
    out.push('', 'recent dead letters:');
    out.push(renderTable(s.recentDeadLetters.map((d) => ({ at: d.at.slice(11, 23), thread: threadName(d.thread), to: d.to, reason: d.reason }))));
  }
  if (o.panels) {
    out.push(renderPanels(buildPanels(s.actors)));
    return out.join('\n');
  }
  for (const a of s.actors) {
    if (a.info === undefined || a.info === null) continue;
    out.push('', `${a.path}:`);
    out.push(renderInfo(a.info));
  }
  return out.join('\n');
}

/** The live view's subsystem panels as text (`top`): one block per subsystem. */
export function renderPanels(panels: Panel[]): string {
  const out: string[] = [];
  const fields = (list: [string, unknown][]): string => list.map(([k, v]) => `${k}=${fmt(v)}`).join('  ');
  for (const p of panels) {
    out.push('', `== ${p.title} ${'='.repeat(Math.max(3, 60 - p.title.length))}`);
    for (const s of p.sections) {
      out.push(`  ${s.title}${s.tables.length === 1 && s.fields.length === 0 && s.groups.length === 0 && s.tables[0].title === s.kind ? '' : ` (${s.kind})`}`);
      if (s.fields.length) out.push(`    ${fields(s.fields)}`);
      for (const g of s.groups) out.push(`    ${g.title}: ${fields(g.fields)}`);
      for (const t of s.tables) {
        if (t.title !== s.kind) out.push(`    ${t.title}:`);
        const rows = t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])));
        out.push(renderTable(rows, t.columns).replace(/^/gm, '    '));
        if (t.more) out.push(`      and ${t.more} more`);
      }
    }
  }
  return out.join('\n');
}

/** Scalars as key=value on one line; lists of records as tables; nested mappings recursively. */
export function renderInfo(info: unknown, indent = '  '): string {
  if (typeof info !== 'object' || info === null) return `${indent}${fmt(info)}`;
  const scalars: string[] = [];
  const blocks: string[] = [];
  for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) {
      blocks.push(`${indent}${k}:`, renderTable(v as Record<string, unknown>[]).replace(/^/gm, indent));
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      blocks.push(`${indent}${k}:`, renderInfo(v, `${indent}  `));
    } else scalars.push(`${k}=${fmt(v)}`);
  }
  return [scalars.length ? `${indent}${scalars.join('  ')}` : '', ...blocks].filter(Boolean).join('\n');
}
