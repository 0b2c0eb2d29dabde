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
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
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

  it('kill -9 of an acceptor process with connections mid-run: restarted, no acknowledged bet lost, nothing stored twice, winners right', async () => {
    const serverData = tmp();
    const data = resolveDataset(undefined, 5);
    // debug: the agencies' "exchange failed; retrying" lines show which exchanges the kill cut
    // (one process per agency, so each agency's stderr lines carry its own clientN prefix)
    const run = lottery(['run', '--agencies', '5', '--servers', '3', '--processes', '--agency-processes', '--protocol', 'A', '--server-data', serverData], { LOG_LEVEL: 'debug' });
    await until('3 acceptor processes listening', run, () => serverLogs(run, 'acceptor process listening').length >= 3);
    const port = serverLogs(run, 'acceptor process listening')[0].port as number;
    const acked = (): number => run.lines.filter((l) => l.startsWith('server | ') && l.includes('action: apuesta_recibida | result: success')).length;
    // (the agencies' kernel lines, whether each agency has a process or they share one)
    const cut = (): string[] => run.stderr.filter((l) => !l.startsWith('server | ') && l.includes('"msg":"exchange failed; retrying"'));
    await until('60 acknowledged batches', run, () => acked() >= 60);
    // Kill a process that holds an agency's connection right now (its exchange is cut), again
    // (another one) if that connection was gone by the time the signal landed; at most 3 times.
    const killed: number[] = [];
    for (let attempt = 0; attempt < 3 && cut().length === 0; attempt++) {
      let victim: { pid: number; index: number } | undefined;
      await until('an acceptor process with an agency connection', run, () => {
        const live = latestAcceptors(run).filter((a) => !killed.includes(a.pid));
        victim = live.find((a) => establishedOn(a.pid, port) > 0);
        return victim !== undefined;
      });
      assert.ok(!run.lines.some((l) => /^client[1-4] exited/.test(l)), 'the kill came after the agencies that stream had finished');
      process.kill(victim!.pid, 'SIGKILL');
      killed.push(victim!.pid);
      await until('the killed acceptor process restarted', run, () => latestAcceptors(run).some((a) => a.index === victim!.index && a.pid !== victim!.pid));
    }
    assert.ok(cut().length > 0, `no agency exchange was cut by ${killed.length} kills`);
    assert.equal(await run.exited, 0, run.stderr.slice(-30).join('\n'));
    const report = lint(run.lines, { clients: CLIENTS, expectDraw: true, expectedWinners: WINNERS, allowFail: true });
    assert.equal(report.sorteo, 1);
    // the store holds every row of every file exactly once: nothing acknowledged lost, nothing twice
    const stored = betsCsv(serverData).map((r) => JSON.stringify(r)).sort();
    assert.equal(stored.length, OFFICIAL_ROWS);
    assert.deepEqual(stored, expectedRows(data.dir));
  });
});

/** The live process of each acceptor index (the last one that listened). */
function latestAcceptors(p: Proc): { pid: number; index: number }[] {
  const by = new Map<number, number>();
  for (const l of serverLogs(p, 'acceptor process listening')) by.set(l.index as number, l.pid as number);
  return [...by].map(([index, pid]) => ({ index, pid }));
}

/** Established TCP connections on local `port` whose socket `pid` holds (from /proc). */
function establishedOn(pid: number, port: number): number {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length > 9 && c[1].endsWith(`:${hexPort}`) && c[3] === '01') inodes.add(c[9]);
    }
  }
  let n = 0;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1])) n++;
      } catch {
        // the fd closed meanwhile
      }
    }
  } catch {
    return 0; // the process is gone
  }
  return n;
}
