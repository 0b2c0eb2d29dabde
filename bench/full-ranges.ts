// Quick runs checked against full runs (issue 12, stable figures): a full run records each ratio
// with the range of its paired samples (`full-ranges.json` in the report folder, merged row by
// row, so running one scenario updates only its rows); a quick run then shows beside each ratio
// whether it falls inside the last full run's range. A quick ratio outside it means the quick
// mode measures something else than the full one (too few or too small samples), not noise.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from './report.ts';

export interface FullRange {
  ratio: number;
  min: number;
  max: number;
  date: string;
}

const FILE = 'full-ranges.json';

function read(dir: string): Record<string, FullRange> {
  const f = join(dir, FILE);
  if (!existsSync(f)) return {};
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Record<string, FullRange>;
  } catch {
    return {}; // a damaged file is only a missing comparison
  }
}

/** After a full run: remember each row's ratio and sample range. */
export function recordFullRanges(dir: string, rows: Row[], date: string): void {
  const all = read(dir);
  for (const r of rows) {
    if (r.ratio === null || r.ratioMin == null || r.ratioMax == null) continue;
    all[r.name] = { ratio: r.ratio, min: r.ratioMin, max: r.ratioMax, date };
  }
  writeFileSync(join(dir, FILE), `${JSON.stringify(all, null, 2)}\n`);
}

/** After a quick run: attach the last full run's range to each row that has one. */
export function compareWithFull(dir: string, rows: Row[]): void {
  const all = read(dir);
  for (const r of rows) {
    const f = all[r.name];
    if (f && r.ratio !== null) r.full = { ...f, within: r.ratio >= f.min && r.ratio <= f.max };
  }
}

/** `in 0.85-1.07 (full 0.97x)` or `OUT of 0.85-1.07 (full 0.97x)`; '' without a full run. */
export function fullText(r: Row): string {
  if (!r.full) return '';
  return `${r.full.within ? 'in' : 'OUT of'} ${r.full.min.toFixed(2)}-${r.full.max.toFixed(2)} (full ${r.full.ratio.toFixed(2)}x)`;
}
