// The BetStore's group commit (actors/lottery/batch-writer.ts) on a real store, a real WAL and a
// real bets.csv: a commit starts the WAL sync that settles its replies before it appends the rows
// to bets.csv (the append runs while the sync does, not before it starts); the replies are settled
// only by that sync; the rows end up both in the store and in bets.csv.
import assert from 'node:assert/strict';
import { fdatasync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BatchWriter } from '../../actors/lottery/batch-writer.ts';
import { openBetStore, storePath } from '../../actors/lottery/bets-db.ts';
import { WalSync } from '../../runtime/storage/wal-sync.ts';
import { formatBetsCsvRow, type BetRow } from '../../protocols/lottery/index.ts';
import { tmp } from './helpers.ts';

describe('lottery batch writer', () => {
  it('starts the WAL sync of a commit before appending its rows to bets.csv; replies wait for that sync', async () => {
    const dir = tmp();
    const store = openBetStore(dir, 'normal', true);
    const csv = openSync(join(dir, 'bets.csv'), 'a');
    const csvAtSync: number[] = [];
    let finish: (() => void) | null = null;
    const wal = new WalSync(`${storePath(dir)}-wal`, true, () => {}, {
      syncDir: (_d, done) => done(null),
      sync: (fd, done) => {
        csvAtSync.push(fstatSync(csv).size);
        finish = () => fdatasync(fd, () => done(null));
      },
    });
    const writer = new BatchWriter({ store: () => store, csv: () => csv, wal, committed: () => {}, error: (msg) => assert.fail(msg) });
    const rows: BetRow[] = [
      [1, 'Ana', 'Paz', '00000001', '1990-05-17', 7574],
      [1, 'Luis', 'Gil', '00000002', '1991-01-02', 12],
    ];
    const answers: unknown[] = [];
    const reply = { resolve: (v: unknown) => answers.push(v), reject: (e: unknown) => answers.push(e) } as unknown as NonNullable<Parameters<BatchWriter['add']>[0]['reply']>;
    try {
      writer.add({ agency: 1, rows, csv: rows.map(formatBetsCsvRow).join(''), reply, batch: { id: 1, digest: 'd1' }, resends: [] });
      writer.flush();
      assert.deepEqual(csvAtSync, [0], 'the sync started before bets.csv was appended to');
      assert.equal(readFileSync(join(dir, 'bets.csv'), 'utf8'), rows.map(formatBetsCsvRow).join(''), 'appended in the same turn, while the sync runs');
      assert.equal(store.get<{ n: number }>('SELECT COUNT(*) AS n FROM bets')!.n, 2);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(answers, [], 'no reply before the sync has ended');
      finish!();
      for (let i = 0; i < 400 && answers.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(answers, [{ ok: true, stored: 2 }], 'answered by the sync');
    } finally {
      wal.close();
      store.close();
    }
  });
});
