// Writes the benchmark results: latest.json (machine-readable), latest.md (report) and one SVG
// bar chart per scenario comparing our figure with its same-run baseline.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fullText, type FullRange } from './full-ranges.ts';

export interface Row {
  scenario: string;
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  baselineName: string;
  ratio: number | null;
  target: string;
  pass: boolean | null;
  spread: number;
  /** The lowest and highest paired ratio sample (null without a baseline), and how many there were. */
  ratioMin?: number | null;
  ratioMax?: number | null;
  ratioSamples?: number;
  runs: number;
  extra?: Record<string, number | string>;
  /** In a quick run: the last full run's ratio and range for this row, and whether this ratio is inside it. */
  full?: FullRange & { within: boolean };
}

/** `1.62x (1.41-1.90, n=9)`: the ratio with the range of its paired samples. */
export function ratioText(r: Row): string {
  if (r.ratio === null) return '-';
  const range = r.ratioMin != null && r.ratioMax != null && (r.ratioSamples ?? 0) > 1 ? ` (${r.ratioMin.toFixed(2)}-${r.ratioMax.toFixed(2)}, n=${r.ratioSamples})` : '';
  return `${r.ratio.toFixed(2)}x${range}`;
}

const num = (v: number): string => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3));

export function renderTerminal(rows: Row[]): string {
  const withFull = rows.some((r) => r.full);
  const head = ['scenario', 'value', 'baseline', 'ratio (range of samples)', 'target', 'pass', 'value spread', ...(withFull ? ['last full run'] : [])];
  const body = rows.map((r) => [
    r.name,
    `${num(r.value)} ${r.unit}`,
    r.baseline === null ? '-' : `${num(r.baseline)} (${r.baselineName})`,
    ratioText(r),
    r.target || '-',
    r.pass === null ? 'report' : r.pass ? 'PASS' : 'FAIL',
    `±${(r.spread * 100).toFixed(0)}%`,
    ...(withFull ? [fullText(r) || '-'] : []),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]): string => c.map((x, i) => x.padEnd(w[i])).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

function svgChart(r: Row): string {
  const bars = [
    { label: 'ours', value: r.value, color: '#2b7bb9' },
    ...(r.baseline !== null ? [{ label: r.baselineName, value: r.baseline, color: '#999' }] : []),
  ];
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const width = 520;
  const barH = 28;
  const h = 50 + bars.length * (barH + 12);
  const rects = bars
    .map((b, i) => {
      const y = 40 + i * (barH + 12);
      const len = Math.max(2, (b.value / max) * 300);
      return `<text x="10" y="${y + 19}" font-size="12">${escapeXml(b.label.slice(0, 24))}</text><rect x="170" y="${y}" width="${len.toFixed(1)}" height="${barH}" fill="${b.color}"/><text x="${(175 + len).toFixed(1)}" y="${y + 19}" font-size="12">${escapeXml(num(b.value))} ${escapeXml(r.unit)}</text>`;
    })
    .join('');
  const title = `${r.name}${r.ratio !== null ? `: ${r.ratio.toFixed(2)}x` : ''}${r.target ? ` (target ${r.target})` : ''}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/><text x="10" y="22" font-size="14" font-weight="bold">${escapeXml(title)}</text>${rects}</svg>\n`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

export function writeReports(dir: string, rows: Row[], meta: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ ...meta, results: rows }, null, 2)}\n`);
  const md: string[] = [`# Benchmark results`, '', `${meta.date} · node ${meta.node} · ${meta.cpus} cores · ${meta.quick ? 'quick' : 'full'} run`, ''];
  md.push('| scenario | value | baseline | ratio (range of paired samples) | target | pass | last full run |', '|---|---|---|---|---|---|---|');
  for (const r of rows) {
    md.push(
      `| ${r.name} | ${num(r.value)} ${r.unit} | ${r.baseline === null ? '-' : `${num(r.baseline)} (${r.baselineName})`} | ${ratioText(r)} | ${r.target || '-'} | ${r.pass === null ? 'report' : r.pass ? 'PASS' : 'FAIL'} | ${fullText(r) || '-'} |`,
    );
  }
  md.push('');
  for (const r of rows) {
    const file = `${r.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.svg`;
    writeFileSync(join(dir, file), svgChart(r));
    md.push(`![${r.name}](${file})`);
    if (r.extra) md.push('', Object.entries(r.extra).map(([k, v]) => `${k}: ${typeof v === 'number' ? num(v) : v}`).join(' · '));
    md.push('');
  }
  writeFileSync(join(dir, 'latest.md'), `${md.join('\n')}\n`);
}
