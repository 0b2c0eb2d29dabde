// A server killed with SIGKILL mid-run and restarted on the same data keeps every acknowledged bet
// and every recorded agency close (lottery.md §6.4, §11); the agencies reconnect and finish, and
// the draw happens once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openBetStore } from '../../actors/lottery/betstore.ts';
import { generateData } from '../../actors/lottery/dataset.ts';
import { freePort } from '../../actors/lottery/server.ts';
import { betsCsv, details, lint, lottery, prefixed, serverReady, tmp, type Proc } from './helpers.ts';

const server = (port: number, dataDir: string): Proc => lottery(['server', '--host', '127.0.0.1', '--port', String(port), '--agencies', '3', '--data', dataDir]);
const agency = (id: number, port: number, file: string, protocol: 'A' | 'B', batchMax: number): Proc =>
  lottery(['agency', '--id', String(id), '--server', `127.0.0.1:${port}`, '--file', file, '--protocol', protocol, '--batch-max', String(batchMax), '--log-level', 'DEBUG', '--connect-retry-ms', '20000']);
const acked = (p: Proc, id: number): number => details(prefixed(`client${id}`, p.lines), 'batch_enviado').reduce((n, d) => n + Number(d.cantidad), 0);

describe('lottery server crash', () => {
  it('SIGKILL mid-run, restart: acknowledged bets and recorded closes survive; the run completes', async () => {
    const data = tmp();
    generateData({ agencies: 3, rows: 2000, seed: 77, out: data, winnersPerAgency: (a) => (a === 1 ? 2 : 0) });
    const dataDir = tmp();
    const port = await freePort();
    let s = server(port, dataDir);
    await serverReady(s);
    const a1 = agency(1, port, `${data}/agency-1.csv`, 'B', 200);
    const a2 = agency(2, port, `${data}/agency-2.csv`, 'B', 2);
    const a3 = agency(3, port, `${data}/agency-3.csv`, 'A', 3);
    // agency 1 finishes and closes (then polls for winners)
    for (let i = 0; i < 1000 && acked(a1, 1) < 2000; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    const ack2 = acked(a2, 2);
    const ack3 = acked(a3, 3);
    assert.ok(ack2 < 2000 && ack3 < 2000, 'agencies 2 and 3 are mid-run');
    s.kill('SIGKILL');
    assert.equal(await s.exited, 137);
    // the store of record, as the crash left it
    const db = openBetStore(dataDir);
    const closed = db.all<{ agency: number }>('SELECT agency FROM closed_agencies').map((r) => r.agency);
    const per = (a: number): number => db.get<{ n: number }>('SELECT count(*) AS n FROM bets WHERE agency = ?', a)!.n;
    assert.deepEqual(closed, [1], 'the close of agency 1 was recorded durably');
    assert.equal(per(1), 2000);
    assert.ok(per(2) >= ack2, `agency 2: ${per(2)} stored < ${ack2} acknowledged`);
    assert.ok(per(3) >= ack3, `agency 3: ${per(3)} stored < ${ack3} acknowledged`);
    db.close();
    // restart on the same data and port: the agencies reconnect and finish
    s = server(port, dataDir);
    await serverReady(s);
    for (const [p, id] of [[a1, 1], [a2, 2], [a3, 3]] as const) assert.equal(await p.exited, 0, `client${id}: ${p.stderr.join('\n')}`);
    s.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    const report = lint([...prefixed('server', s.lines), ...prefixed('client1', a1.lines), ...prefixed('client2', a2.lines), ...prefixed('client3', a3.lines)], {
      expectDraw: true,
      expectedWinners: { client1: 2, client2: 0, client3: 0 },
    });
    assert.equal(report.sorteo, 1);
    const rows = betsCsv(dataDir);
    for (const a of [1, 2]) assert.ok(rows.filter((r) => r[0] === a).length >= 2000, `agency ${a} complete in bets.csv`);
    // protocol A: a batch committed but not acknowledged at the kill is resent with its batch id
    // and recognised, so agency 3 is stored exactly once
    assert.equal(rows.filter((r) => r[0] === 3).length, 2000, 'agency 3 (protocol A) stored exactly once');
    // protocol B has no batch id: at most agency 2's batch in flight at the kill may be stored twice
    assert.ok(rows.length <= 6000 + 2, `${rows.length} rows`);
  });
});
