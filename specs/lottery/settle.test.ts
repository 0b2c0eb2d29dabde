// The BetStore after the draw (actors/lottery/betstore.ts, settleAfterDraw): once the winners are
// answered, the WAL is checkpointed into the database file (the WAL left empty) and bets.csv is
// complete on disk, before any stop; the stop then finds nothing left to checkpoint. No automatic
// checkpoint runs while batches come in (a run of this size stays under CHECKPOINT_PAGES, where
// SQLite's default of 1000 pages would checkpoint several times). The draw answers from the winning
// bets kept as batches commit: the same documents, in the same order, as a scan of the store, also
// for bets stored before a restart. A server process (`lottery server`, which exits right after its
// stop) checkpoints nothing: its stop syncs the WAL and leaves it for the next open.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateData } from '../../actors/lottery/dataset.ts';
import { openBetStore } from '../../actors/lottery/bets-db.ts';
import type { DrawScan, StoreReply } from '../../actors/lottery/betstore.ts';
import type { BetRow } from '../../protocols/lottery/index.ts';
import { betsCsv, clientSettings, lottery, runAgencies, serverReady, startInProcess, tmp } from './helpers.ts';

const walSize = (dir: string): number => {
  try {
    return statSync(join(dir, 'lottery.sqlite-wal')).size;
  } catch {
    return -1;
  }
};

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const dbSize = (dir: string): number => statSync(join(dir, 'lottery.sqlite')).size;

describe('lottery store after the draw', () => {
  it('checkpoints the WAL and completes bets.csv once the winners are answered, before the stop; no checkpoint while batches come in', async () => {
    const data = tmp();
    // Enough rows for a WAL of well over SQLite's default 1000 pages between checkpoints.
    const g = generateData({ agencies: 3, rows: 15_000, seed: 5, out: data, winnersPerAgency: (a) => a });
    const srv = await startInProcess({ agencies: 3 });
    // A checkpoint copies pages into the database file: its size moves only then.
    const sizes: number[] = [dbSize(srv.dataDir)];
    const watch = setInterval(() => sizes.push(dbSize(srv.dataDir)), 2);
    try {
      const clients = [1, 2, 3].map((id) => clientSettings(id, srv.port, join(data, `agency-${id}.csv`), { protocol: 'A', maxAmount: 9999 }));
      const outcome = await runAgencies(srv.system, clients);
      assert.equal(outcome.code, 0);
      for (const id of [1, 2, 3]) assert.equal(outcome.winners[id], g.winners[id]);
      await until('the WAL checkpointed after the draw', () => walSize(srv.dataDir) === 0);
      clearInterval(watch);
      const grown = sizes.filter((n, i) => i > 0 && n !== sizes[i - 1]);
      assert.ok(grown.length <= 1, `the database file changed ${grown.length} times: ${[...new Set(sizes)].join(' ')}`);
      assert.ok(dbSize(srv.dataDir) > 2 << 20, 'the rows are in the database file');
      assert.equal(betsCsv(srv.dataDir).length, 45_000, 'bets.csv complete while the server still runs');
      assert.equal(await srv.server.store.ask<number>({ t: 'count' }), 45_000);
    } finally {
      clearInterval(watch);
      await srv.stop();
    }
  });

  it('a server process stopped after the draw leaves its synced WAL unmerged; the next open holds every bet, close and the draw', async () => {
    const data = tmp();
    const g = generateData({ agencies: 2, rows: 3000, seed: 9, out: data, winnersPerAgency: (a) => a + 1 });
    const dataDir = tmp();
    const s = lottery(['server', '--host', '127.0.0.1', '--port', '0', '--agencies', '2', '--data', dataDir]);
    const port = await serverReady(s);
    const agencies = [1, 2].map((id) => lottery(['agency', '--id', String(id), '--server', `127.0.0.1:${port}`, '--file', join(data, `agency-${id}.csv`), '--batch-max', '9999']));
    try {
      assert.deepEqual(await Promise.all(agencies.map((a) => a.exited)), [0, 0]);
      await s.waitFor(/action: sorteo \| result: success/);
      const dbBefore = dbSize(dataDir);
      s.kill('SIGTERM');
      assert.equal(await s.exited, 0, s.stderr.join('\n'));
      assert.ok(s.lines.some((l) => /action: close_store \| result: success \| bets: 6000$/.test(l)), s.lines.slice(-5).join('\n'));
      // Not checkpointed: the rows are in the WAL (synced by the stop), the database file as it was.
      assert.ok(walSize(dataDir) > 100_000, `WAL of ${walSize(dataDir)} bytes`);
      assert.equal(dbSize(dataDir), dbBefore);
      assert.equal(betsCsv(dataDir).length, 6000);
      const db = openBetStore(dataDir);
      try {
        assert.equal(db.get<{ n: number }>('SELECT COUNT(*) AS n FROM bets')!.n, 6000);
        assert.deepEqual(db.all<{ agency: number }>('SELECT agency FROM closed_agencies ORDER BY agency').map((r) => r.agency), [1, 2]);
        assert.ok(db.get('SELECT 1 AS x FROM draw WHERE id = 1'), 'the draw is recorded');
        const won = db.all<{ agency: number; n: number }>('SELECT agency, COUNT(*) AS n FROM bets WHERE number = 7574 GROUP BY agency ORDER BY agency');
        assert.deepEqual(won.map((r) => [r.agency, r.n]), [[1, g.winners[1]], [2, g.winners[2]]]);
      } finally {
        db.close();
      }
    } finally {
      for (const p of [s, ...agencies]) p.kill('SIGKILL');
    }
  });

  it('the draw answers with the winning bets kept as batches committed: as a scan of the store finds them, across a restart', async () => {
    const dataDir = tmp();
    let seq = 0;
    const rows = (agency: number, numbers: number[]): BetRow[] => numbers.map((n) => [agency, 'Ana', 'Paz', String(10_000_000 + ++seq).padStart(9, '0'), '1990-05-17', n]);
    const store = async (srv: Awaited<ReturnType<typeof startInProcess>>, agency: number, numbers: number[], batchId: number): Promise<void> => {
      const r = await srv.server.store.ask<StoreReply>({ t: 'store', agency, rows: rows(agency, numbers), batchId });
      assert.equal(r.ok, true);
    };
    const first = await startInProcess({ agencies: 3, dataDir });
    await store(first, 1, [7574, 1, 7574], 1);
    await store(first, 2, [5, 7574], 1);
    await first.stop();
    const again = await startInProcess({ agencies: 3, dataDir });
    try {
      await store(again, 3, [7574, 7574, 7574, 2], 1);
      await store(again, 1, [7574, 9], 2);
      for (const agency of [1, 2, 3]) await again.server.store.ask({ t: 'close', agency });
      const scan = await again.server.store.ask<DrawScan>({ t: 'draw' });
      await again.stop();
      const db = openBetStore(dataDir);
      const expected = new Map<number, string[]>();
      for (const r of db.all<{ agency: number; document: string }>('SELECT agency, document FROM bets WHERE number = 7574 ORDER BY rowid')) {
        expected.set(r.agency, [...(expected.get(r.agency) ?? []), r.document]);
      }
      db.close();
      assert.deepEqual(new Map(scan.winners), expected);
      assert.deepEqual(scan.winners.map(([a, d]) => [a, d.length]).sort(), [[1, 3], [2, 1], [3, 3]]);
    } finally {
      await again.stop();
    }
  });
});
