// The official data set end to end (lottery.md §9, §11) through `lottery run`: 78,697 rows in
// bets.csv, the sum of cantidad 78,697, one sorteo, winners 2, 3, 3, 2, 0, every agency exits 0
// after the draw; with protocol A, protocol B and a mix, on 1 and on 3 server threads.
// The run with protocol B on one thread uses the upstream agency default batch.maxAmount (35);
// the others let the 8 kB packet cap close the batches (maxAmount 9999, `lottery run`'s default,
// given explicitly or not), which keeps the suite within a minute.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { OFFICIAL_ROWS, OFFICIAL_WINNERS, OFFICIAL_ZIP } from '../../actors/lottery/dataset.ts';
import { betsCsv, lint, lottery, tmp } from './helpers.ts';

const combos: [protocol: string, servers: number, batchMax?: string, startOrder?: string][] = [
  ['B', 1, '35'],
  ['mixed', 2, '9999', 'random'],
  ['A', 1],
  ['mixed', 1, '9999'],
  ['B', 3, '9999'],
  ['A', 3, '9999'],
  ['mixed', 3, '9999'],
];

describe('official data set', { skip: existsSync(OFFICIAL_ZIP) ? false : `${OFFICIAL_ZIP} not found` }, () => {
  for (const [protocol, servers, batchMax, startOrder] of combos) {
    it(`protocol ${protocol}, ${servers} server thread${servers > 1 ? 's' : ''}${batchMax ? `, batch.maxAmount ${batchMax}` : ', default batches'}${startOrder ? `, ${startOrder} start order` : ''}`, async () => {
      const serverData = tmp();
      const args = ['run', '--agencies', '5', '--protocol', protocol, '--servers', String(servers), '--server-data', serverData];
      if (batchMax) args.push('--batch-max', batchMax);
      if (startOrder) args.push('--start-order', startOrder);
      const run = lottery(args);
      assert.equal(await run.exited, 0, run.stderr.slice(-20).join('\n'));
      const clients = ['client1', 'client2', 'client3', 'client4', 'client5'];
      const report = lint(run.lines, {
        clients,
        expectedBets: OFFICIAL_ROWS,
        expectDraw: true,
        expectedWinners: Object.fromEntries(clients.map((c, i) => [c, OFFICIAL_WINNERS[i + 1]])),
      });
      assert.equal(report.sorteo, 1);
      assert.equal(report.cantidadTotal, OFFICIAL_ROWS);
      assert.equal(betsCsv(serverData).length, OFFICIAL_ROWS);
      assert.ok(run.lines.includes('server exited with code 0'));
    });
  }
});
