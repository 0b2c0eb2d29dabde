// The lottery's store of record on disk (lottery.md §2): the SQLite schema, multi-row appends,
// and `bets.csv` rebuilt from the store. The BetStore actor (betstore.ts) is the only writer.

import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type Store } from '../../runtime/index.ts';
import { formatBetsCsvRow, type BetRow } from '../../protocols/lottery/index.ts';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS bets (
  agency INTEGER NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
  document TEXT NOT NULL, birthdate TEXT NOT NULL, number INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS closed_agencies (agency INTEGER PRIMARY KEY, closed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS draw (id INTEGER PRIMARY KEY CHECK (id = 1), drawn_at TEXT NOT NULL, bets INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS last_batch (agency INTEGER PRIMARY KEY, batch_id INTEGER NOT NULL, digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS committed_batches (agency INTEGER NOT NULL, batch_id INTEGER NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (agency, batch_id, digest)) WITHOUT ROWID;
`;

const ROWS_PER_STATEMENT = 64;
/** `INSERT … VALUES (…), (…)` for n rows (n a power of two up to ROWS_PER_STATEMENT). */
const INSERT_N = new Map<number, string>();
for (let n = 1; n <= ROWS_PER_STATEMENT; n *= 2) INSERT_N.set(n, `INSERT INTO bets VALUES ${Array(n).fill('(?,?,?,?,?,?)').join(',')}`);

/**
 * Appends rows with multi-row statements (64 rows each, the rest in power-of-two pieces: a batch of
 * 153 rows is 5 statements, not 2 + 25); call inside a transaction. Shared with the benchmark baseline.
 */
export function insertRows(store: Store, rows: readonly BetRow[]): void {
  let i = 0;
  for (let n = ROWS_PER_STATEMENT; n >= 1; n /= 2) {
    if (rows.length - i < n) continue;
    const sql = INSERT_N.get(n)!;
    const params: (string | number)[] = new Array(n * 6);
    for (; i + n <= rows.length; i += n) {
      for (let j = 0; j < n; j++) {
        const r = rows[i + j];
        const o = j * 6;
        params[o] = r[0];
        params[o + 1] = r[1];
        params[o + 2] = r[2];
        params[o + 3] = r[3];
        params[o + 4] = r[4];
        params[o + 5] = r[5];
      }
      store.run(sql, ...params);
    }
  }
}

export function storePath(dataDir: string): string {
  return join(dataDir, 'lottery.sqlite');
}

/** `exclusive`: the server's BetStore, the only connection while it runs (runtime/storage: locks kept, no -shm file). */
export function openBetStore(dataDir: string, durability: 'full' | 'normal' = 'full', exclusive = false): Store {
  const s = openStore(storePath(dataDir), { durability, exclusive });
  s.exec(`BEGIN; ${SCHEMA} COMMIT;`); // one commit for the whole schema (a new store: one instead of five)
  return s;
}

/** Rewrites `bets.csv` from the store of record (start-up: heals a file cut short by a crash). */
export function rewriteBetsCsv(store: Store, dataDir: string): number {
  const final = join(dataDir, 'bets.csv');
  const tmp = `${final}.tmp`;
  const fd = openSync(tmp, 'w');
  let n = 0;
  try {
    const rows = store.all<{ agency: number; first_name: string; last_name: string; document: string; birthdate: string; number: number }>(
      'SELECT agency, first_name, last_name, document, birthdate, number FROM bets ORDER BY rowid',
    );
    let chunk = '';
    for (const r of rows) {
      chunk += formatBetsCsvRow([r.agency, r.first_name, r.last_name, r.document, r.birthdate, r.number]);
      if (chunk.length > 1 << 16) {
        writeSync(fd, chunk);
        chunk = '';
      }
      n++;
    }
    if (chunk) writeSync(fd, chunk);
    if (n > 0) fsyncSync(fd); // an empty file has nothing to lose (a fresh store: no sync on the way to listening)
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, final);
  return n;
}
