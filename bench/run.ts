// The benchmark runner: runs the named scenarios (or all) several times, takes the median of each
// figure and of its same-run baseline, judges the target on the ratio, and writes the reports.

import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { scenarios } from './scenarios/index.ts';
import { writeReports, type Row } from './report.ts';
import { compareWithFull, recordFullRanges } from './full-ranges.ts';
import type { ScenarioResult } from './scenarios/types.ts';

export interface BenchOptions {
  names: string[];
  quick: boolean;
  check: boolean;
  runs?: number;
  out?: string;
}

/** Quick runs take fewer repetitions of the same measurement (not smaller ones): a ratio's spread, not its level, is what a quick run may lose. */
export const QUICK_RUNS = 3;
export const FULL_RUNS = 5;

const RUN_SCENARIO = fileURLToPath(new URL('./run-scenario.ts', import.meta.url));

/** One run of a scenario in its own process (run-scenario.ts). */
function runForked(name: string, quick: boolean, round: number): Promise<ScenarioResult[]> {
  return new Promise((resolve, reject) => {
    const child = fork(RUN_SCENARIO, [name, quick ? 'quick' : 'full', String(round)], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let results: ScenarioResult[] | null = null;
    child.on('message', (m: { t?: string; results?: ScenarioResult[] }) => {
      if (m?.t === 'results' && Array.isArray(m.results)) results = m.results;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (results !== null) resolve(results);
      else reject(new Error(`scenario ${name} failed in round ${round + 1} (exit ${signal ?? code})`));
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function judge(r: ScenarioResult, value: number, baseline: number | null): { ratio: number | null; target: string; pass: boolean | null } {
  const ratio = baseline !== null && baseline > 0 ? value / baseline : null;
  const t = r.target;
  if (!t) return { ratio, target: '', pass: null };
  if (t.ratio !== undefined && ratio !== null) {
    return r.lowerIsBetter
      ? { ratio, target: `≤ ${t.ratio}x`, pass: ratio <= t.ratio }
      : { ratio, target: `≥ ${t.ratio}x`, pass: ratio >= t.ratio };
  }
  if (t.min !== undefined) return { ratio, target: `≥ ${t.min} ${r.unit}`, pass: value >= t.min };
  if (t.max !== undefined) return { ratio, target: `≤ ${t.max} ${r.unit}`, pass: value <= t.max };
  return { ratio, target: '', pass: null };
}

export async function runBench(o: BenchOptions, progress: (line: string) => void): Promise<{ rows: Row[]; failed: number }> {
  const names = o.names.length ? o.names : Object.keys(scenarios);
  for (const n of names) if (!scenarios[n]) throw new Error(`unknown scenario ${n} (known: ${Object.keys(scenarios).join(', ')})`);
  const runs = o.runs ?? (o.quick ? QUICK_RUNS : FULL_RUNS);
  const rows: Row[] = [];
  // Rounds, not blocks: each round runs every named scenario once, so a scenario's samples are
  // spread over the whole run and its range holds the machine's drift over that time (on a
  // shared machine the load moves within minutes). Run back to back, a full run's five samples
  // came from one quiet or busy stretch, and its range was narrower than what the next run read.
  // Each run is a process of its own (run-scenario.ts), so no run finds another's leftovers.
  const byScenario = new Map<string, Map<string, ScenarioResult[]>>(names.map((n) => [n, new Map()]));
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    for (const name of names) {
      progress(`round ${i + 1}/${runs}: ${name} (${Math.round((performance.now() - t0) / 1000)} s so far)`);
      const byName = byScenario.get(name)!;
      for (const r of await runForked(name, o.quick, i)) {
        const list = byName.get(r.name) ?? [];
        list.push(r);
        byName.set(r.name, list);
      }
    }
  }
  for (const name of names) {
    const byName = byScenario.get(name)!;
    for (const [rname, list] of byName) {
      const values = list.map((r) => r.value);
      const value = median(values);
      const baselines = list.map((r) => r.baseline).filter((b): b is number => b !== null);
      const baseline = baselines.length ? median(baselines) : null;
      const first = list[0];
      // The ratio is the median of paired samples (ours/baseline measured back to back), so that a
      // burst of load elsewhere on the shared machine moves both sides of a pair alike.
      const ratios = list.flatMap((r) => r.ratios ?? (r.baseline !== null && r.baseline > 0 ? [r.value / r.baseline] : []));
      const verdict = judge(first, value, baseline);
      if (ratios.length > 0) verdict.ratio = median(ratios);
      if (verdict.ratio !== null && first.target?.ratio !== undefined) verdict.pass = first.lowerIsBetter ? verdict.ratio <= first.target.ratio : verdict.ratio >= first.target.ratio;
      rows.push({
        scenario: name,
        name: rname,
        value,
        unit: first.unit,
        baseline,
        baselineName: first.baselineName,
        ...verdict,
        spread: value ? (Math.max(...values) - Math.min(...values)) / value : 0,
        ratioMin: ratios.length ? Math.min(...ratios) : null,
        ratioMax: ratios.length ? Math.max(...ratios) : null,
        ratioSamples: ratios.length,
        runs: list.length,
        extra: list[Math.floor(list.length / 2)].extra,
      });
      progress(`${rname}: ${value.toFixed(1)} ${first.unit}${baseline !== null ? ` vs ${baseline.toFixed(1)} (${first.baselineName})` : ''}${verdict.ratio !== null ? ` = ${verdict.ratio.toFixed(2)}x` : ''}`);
    }
  }
  const out = o.out ?? fileURLToPath(new URL('./results/', import.meta.url));
  const date = new Date().toISOString();
  // A quick run is checked against the last full run's ranges; a full run (default runs) records them.
  if (o.quick) compareWithFull(out, rows);
  writeReports(out, rows, { date, node: process.version, cpus: os.availableParallelism(), quick: o.quick, runs });
  if (!o.quick && o.runs === undefined) recordFullRanges(out, rows, date);
  return { rows, failed: rows.filter((r) => r.pass === false).length };
}
