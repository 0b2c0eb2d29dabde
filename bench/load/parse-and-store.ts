// The lottery's parse-and-store baseline (performance.md): reads and parses the agency files in
// one process and writes the rows to the same store as the server (node:sqlite, WAL,
// synchronous=FULL, one transaction per file), then asks the winners. The ingest scenario runs it
// in the benchmark's process, beside its in-process server; the end-to-end scenario, whose
// figure is a whole process, runs it in a process of its own (`node parse-and-store.ts` as a
// child: each IPC message `{ t: 'run', dir, agencies }` is answered with the timing), so that the
// benchmark process's own state (a heap grown by the scenarios before it in a round) is not in it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertRows, openBetStore } from '../../actors/lottery/betstore.ts';
import { LineSource } from '../../actors/lottery/reader.ts';
import { parseAgencyCsvRow, toRow, type BetRow } from '../../protocols/lottery/index.ts';

export interface BaselineRun {
  ms: number;
  rows: number;
  winners: number;
}

export async function parseAndStore(dir: string, agencies: number): Promise<BaselineRun> {
  const out = mkdtempSync(join(tmpdir(), 'lottery-bench-base-'));
  try {
    const t0 = performance.now();
    const store = openBetStore(out);
    let rows = 0;
    for (let a = 1; a <= agencies; a++) {
      const src = new LineSource(join(dir, `agency-${a}.csv`));
      await src.open();
      const batch: BetRow[] = [];
      for (let l = await src.next(); l !== null; l = await src.next()) batch.push(toRow(parseAgencyCsvRow(a, l)));
      await src.close();
      store.transaction(() => insertRows(store, batch));
      rows += batch.length;
    }
    const winners = store.all('SELECT agency, document FROM bets WHERE number = 7574').length;
    store.close();
    return { ms: performance.now() - t0, rows, winners };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

// As a child process: one baseline per request, until the parent disconnects.
if (import.meta.url === `file://${process.argv[1]}` && process.send) {
  process.on('message', (m: { t?: string; dir?: string; agencies?: number }) => {
    if (m?.t !== 'run' || typeof m.dir !== 'string' || typeof m.agencies !== 'number') return;
    parseAndStore(m.dir, m.agencies).then(
      (r) => process.send!({ t: 'done', ...r }),
      (err: Error) => process.send!({ t: 'failed', error: err.message }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
