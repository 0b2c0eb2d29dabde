// The lottery server as separate processes over runtime node links (issue 13 item 6a, lottery.md
// §7): `lottery run --servers 3 --processes` runs the core node (the one BetStore and the one
// DrawCoordinator) and 3 acceptor processes on one port (reusePort), with real processes,
// sockets and node links on loopback.
//  - the official data set: 78,697 bets stored, one `sorteo`, winners 2,3,3,2,0, and every
//    acceptor process served connections;
//  - kill -9 of one acceptor process while the agencies stream (protocol A): it is restarted, the
//    agencies reconnect, the store holds every bet of every file exactly once, winners still right.
// Skipped when the official data set (../shared) is absent, as official.test.ts is.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OFFICIAL_ROWS, OFFICIAL_WINNERS, OFFICIAL_ZIP, resolveDataset } from '../../actors/lottery/dataset.ts';
import { parseAgencyCsvRow, toRow } from '../../protocols/lottery/index.ts';
import { betsCsv, lint, lottery, tmp, type Proc } from './helpers.ts';

const CLIENTS = ['client1', 'client2', 'client3', 'client4', 'client5'];
const WINNERS = Object.fromEntries(CLIENTS.map((c, i) => [c, OFFICIAL_WINNERS[i + 1]]));

/** The kernel's JSON log lines of the run's server side (LOG_LEVEL=info) with the given msg. */
function serverLogs(p: Proc, msg: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of p.stderr) {
    if (!l.startsWith('server | {') || !l.includes(`"msg":"${msg}"`)) continue;
    out.push(JSON.parse(l.slice('server | '.length)) as Record<string, unknown>);
  }
  return out;
}

async function until(what: string, p: Proc, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${p.stderr.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every row of every agency file, as stored rows (JSON), sorted: the store must hold exactly these. */
function expectedRows(dir: string): string[] {
  const out: string[] = [];
  for (let a = 1; a <= 5; a++) {
    for (const line of readFileSync(join(dir, `agency-${a}.csv`), 'utf8').split('\n')) {
      const l = line.replace(/\r$/, '');
      if (l.length > 0) out.push(JSON.stringify(toRow(parseAgencyCsvRow(a, l))));
    }
  }
  return out.sort();
}

describe('lottery server as separate processes', { skip: existsSync(OFFICIAL_ZIP) ? false : `${OFFICIAL_ZIP} not found` }, () => {
  it('official data set across 3 acceptor processes: 78,697 bets, one sorteo, winners 2,3,3,2,0', async () => {
    const serverData = tmp();
    const run = lottery(['run', '--agencies', '5', '--servers', '3', '--processes', '--protocol', 'mixed', '--server-data', serverData], { LOG_LEVEL: 'info' });
    assert.equal(await run.exited, 0, run.stderr.slice(-30).join('\n'));
    const report = lint(run.lines, { clients: CLIENTS, expectedBets: OFFICIAL_ROWS, expectDraw: true, expectedWinners: WINNERS });
    assert.equal(report.sorteo, 1);
    assert.equal(report.cantidadTotal, OFFICIAL_ROWS);
    assert.equal(betsCsv(serverData).length, OFFICIAL_ROWS);
    assert.ok(run.lines.includes('server exited with code 0'));
    // three separate processes, each of which accepted agencies' connections
    const stops = serverLogs(run, 'acceptor process stopping');
    assert.equal(new Set(stops.map((s) => s.pid)).size, 3, JSON.stringify(stops));
    for (const s of stops) assert.ok((s.served as number) > 0, `acceptor ${s.index} served no connection: ${JSON.stringify(stops)}`);
    assert.ok(!stops.some((s) => s.pid === run.child.pid));
  });

  it('kill -9 of one acceptor process mid-run: restarted, no acknowledged bet lost, nothing stored twice, winners right', async () => {
    const serverData = tmp();
    const data = resolveDataset(undefined, 5);
    const run = lottery(['run', '--agencies', '5', '--servers', '3', '--processes', '--protocol', 'A', '--server-data', serverData], { LOG_LEVEL: 'info' });
    await until('3 acceptor processes listening', run, () => serverLogs(run, 'acceptor process listening').length >= 3);
    const acked = (): number => run.lines.filter((l) => l.startsWith('server | ') && l.includes('action: apuesta_recibida | result: success')).length;
    await until('60 acknowledged batches', run, () => acked() >= 60);
    const victim = serverLogs(run, 'acceptor process listening').find((l) => l.index === 1)!;
    process.kill(victim.pid as number, 'SIGKILL');
    const ackedAtKill = acked();
    // mid-run: no agency had finished when the process died
    assert.ok(!run.lines.some((l) => /^client\d exited/.test(l)), 'the kill came after an agency finished');
    await until('the killed acceptor process restarted', run, () => serverLogs(run, 'acceptor process started').some((l) => l.index === 1 && (l.restarts as number) >= 1));
    assert.equal(await run.exited, 0, run.stderr.slice(-30).join('\n'));
    assert.ok(acked() > ackedAtKill, 'batches were acknowledged after the kill');
    const report = lint(run.lines, { clients: CLIENTS, expectDraw: true, expectedWinners: WINNERS, allowFail: true });
    assert.equal(report.sorteo, 1);
    // the store holds every row of every file exactly once: nothing acknowledged lost, nothing twice
    const stored = betsCsv(serverData).map((r) => JSON.stringify(r)).sort();
    assert.equal(stored.length, OFFICIAL_ROWS);
    assert.deepEqual(stored, expectedRows(data.dir));
    // the restarted process is a new one, and it served connections
    const started = serverLogs(run, 'acceptor process started').filter((l) => l.index === 1);
    assert.ok(started.length >= 2 && started[started.length - 1].pid !== victim.pid);
  });
});
