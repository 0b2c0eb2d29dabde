// kill -9 of `lottery run` itself in the middle of the ingest (its agencies run in its own
// process, run-agencies.ts): the server process it started notices (IPC disconnect) and stops by
// itself, nothing is left running, every batch whose `apuesta_recibida` line was printed is in
// bets.csv, and the same command run again on the same server data resumes (LST) and ends with
// every file row stored exactly once.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateData } from '../../actors/lottery/dataset.ts';
import { parseAgencyCsvRow, toRow } from '../../protocols/lottery/index.ts';
import { betsCsv, lottery, tmp } from './helpers.ts';

/** The pids whose parent is `ppid` (from /proc). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!existsSync(`/proc/${pid}`)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('kill -9 of lottery run mid-run', () => {
  it('the server stops by itself, no acknowledged batch is lost, and a second run completes exactly once', async () => {
    const data = tmp();
    const serverData = tmp();
    generateData({ agencies: 3, rows: 3000, seed: 42, out: data });
    const run = lottery(['run', '--agencies', '3', '--data', data, '--server-data', serverData, '--batch-max', '10']);
    let server = 0;
    try {
      // Well into the ingest (900 batches in all), then the launcher dies at once.
      const until = Date.now() + 30_000;
      while (run.lines.filter((l) => /apuesta_recibida \| result: success/.test(l)).length < 40) {
        assert.ok(Date.now() < until && run.child.exitCode === null, `no 40 batches stored in time:\n${run.lines.join('\n')}\n${run.stderr.join('\n')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      [server] = childrenOf(run.child.pid!);
      assert.ok(server, 'the server process is a child of lottery run');
      run.child.kill('SIGKILL');
      await run.exited;
      assert.ok(await gone(server, 15_000), 'the server process stopped after its launcher was killed');
    } finally {
      run.child.kill('SIGKILL');
      if (server && existsSync(`/proc/${server}`)) process.kill(server, 'SIGKILL');
    }
    const acknowledged = run.lines
      .filter((l) => /^server \| .*apuesta_recibida \| result: success/.test(l))
      .reduce((n, l) => n + Number(/cantidad: (\d+)/.exec(l)![1]), 0);
    const stored = betsCsv(serverData).length;
    assert.ok(acknowledged >= 400, `only ${acknowledged} bets acknowledged before the kill`);
    assert.ok(stored >= acknowledged, `${stored} bets stored, ${acknowledged} acknowledged`);
    assert.ok(stored < 9000, 'the kill came before the end of the ingest');

    // The same command again: the agencies resume after what the server holds.
    const again = lottery(['run', '--agencies', '3', '--data', data, '--server-data', serverData, '--batch-max', '10', '--no-check']);
    assert.equal(await again.exited, 0, again.stderr.join('\n'));
    assert.equal(again.lines.filter((l) => /sorteo \| result: success/.test(l)).length, 1);
    const expected: string[] = [];
    for (let a = 1; a <= 3; a++) {
      for (const line of readFileSync(join(data, `agency-${a}.csv`), 'utf8').split(/\r?\n/)) if (line) expected.push(JSON.stringify(toRow(parseAgencyCsvRow(a, line))));
    }
    const got = betsCsv(serverData).map((r) => JSON.stringify(r));
    assert.equal(got.length, expected.length, 'every row stored exactly once');
    assert.deepEqual([...got].sort(), [...expected].sort());
  });
});
