// The lottery end to end as a user runs it (performance.md): `actor-runtime lottery run
// --agencies 5` on the official data set, a whole process with its defaults (the server process,
// the five agencies in the launcher's own process, the draw, the log-contract check), timed from spawn to exit, against the
// parse-and-store baseline of the ingest scenario measured back to back with it. Target ≤ 3x.
// The only flag given is --server-data (a scratch folder the bench removes; the default is a
// fresh temp folder that the run leaves for the user to read).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveDataset } from '../../actors/lottery/dataset.ts';
import { baseline } from './lottery.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

const BIN = fileURLToPath(new URL('../../bin/actor-runtime.mjs', import.meta.url));

async function wholeRun(agencies: number): Promise<{ ms: number; ok: boolean; summary: string }> {
  const serverData = mkdtempSync(join(tmpdir(), 'lottery-e2e-bench-'));
  try {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, 'lottery', 'run', '--agencies', String(agencies), '--server-data', serverData], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    clearTimeout(timer);
    const ms = performance.now() - t0;
    const summary = /log contract ok; .*/.exec(stderr)?.[0] ?? stderr.trim().split('\n').pop() ?? '';
    return { ms, ok: code === 0 && summary.startsWith('log contract ok; 78697 bets stored'), summary };
  } finally {
    rmSync(serverData, { recursive: true, force: true });
  }
}

export async function run(o: ScenarioOptions): Promise<ScenarioResult[]> {
  const data = resolveDataset(undefined, 5);
  await baseline(data.dir, 5); // warm-up (page cache, JIT, compile cache)
  await wholeRun(5);
  const pairs = o.quick ? 1 : 2;
  const ours: number[] = [];
  const base: number[] = [];
  let ok = true;
  let summary = '';
  for (let i = 0; i < pairs; i++) {
    base.push((await baseline(data.dir, 5)).ms);
    const r = await wholeRun(5);
    ours.push(r.ms);
    ok &&= r.ok;
    summary = r.summary;
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return [
    {
      name: 'lottery.end-to-end',
      value: ok ? med(ours) : Number.POSITIVE_INFINITY,
      unit: 'ms',
      baseline: med(base),
      baselineName: 'parse 5 files + write the rows to the same store, one process',
      target: { ratio: 3 },
      lowerIsBetter: true,
      ratios: ours.map((v, i) => v / base[i]),
      extra: { correct: ok ? 'yes' : 'NO', result: summary, dataset: data.official ? 'official' : 'generated', runs: ours.map((v) => Math.round(v)).join(' ') },
    },
  ];
}
