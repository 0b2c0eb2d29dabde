// Lost node links under a multi-process lottery server (issue 13 item 6a): this test process is
// the core node (the BetStore and the DrawCoordinator, started with startCluster) and drops its
// links to the 2 acceptor processes again and again while 3 agency processes stream over protocol
// A, as a network failure would (RuntimeNode.disconnect). A batch whose store ask was in flight on
// a dropped link fails (no ACK); the agency resends it and the store recognises the resend: every
// row is stored exactly once and the draw comes out right.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ActorSystem } from '../../runtime/index.ts';
import { coreNodeConfig, startCluster, withClusterSecret } from '../../actors/lottery/cluster/core.ts';
import { generateData } from '../../actors/lottery/dataset.ts';
import { LOTTERY_MODULES } from '../../actors/lottery/modules.ts';
import { parseAgencyCsvRow, toRow } from '../../protocols/lottery/index.ts';
import { betsCsv, captured, lint, lottery, prefixed, serverSettings, tmp, type Proc } from './helpers.ts';

describe('lottery server as separate processes: lost links', () => {
  it('links dropped while batches are in flight: failed batches are resent and stored once', async () => {
    const data = tmp();
    const gen = generateData({ agencies: 3, rows: 1500, seed: 61, out: data, winnersPerAgency: (a) => a });
    const settings = serverSettings({ agencies: 3, servers: 2 });
    const { secret, value: system } = await withClusterSecret(() =>
      ActorSystem.start({ name: 'lottery-core-test', threads: 0, preload: LOTTERY_MODULES, logLevel: process.env.LOG_LEVEL ?? 'error', node: coreNodeConfig() }),
    );
    const cluster = await startCluster(system, settings, secret);
    const node = system.node!;
    const agencies: Proc[] = [1, 2, 3].map((id) =>
      lottery(['agency', '--id', String(id), '--server', `127.0.0.1:${cluster.port}`, '--file', join(data, `agency-${id}.csv`), '--protocol', 'A', '--batch-max', '20', '--connect-retry-ms', '30000'], { LOG_LEVEL: 'debug' }),
    );
    const cut = (): number => agencies.reduce((n, p) => n + p.stderr.filter((l) => l.includes('"msg":"exchange failed; retrying"') && l.includes('apuesta_enviada')).length, 0);
    const done = Promise.all(agencies.map((p) => p.exited));
    let finished = false;
    void done.then(() => (finished = true));
    // Drop both links every 30 ms (each is redialed at once) until a stored batch was cut, then
    // a few times more; the agencies must still finish.
    let drops = 0;
    while (!finished && (cut() === 0 || drops < 40) && drops < 2000) {
      for (const peer of ['lottery-acceptor-0', 'lottery-acceptor-1']) node.disconnect(peer, 'dropped by the test');
      drops++;
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.ok(cut() > 0, `no batch was cut by ${drops} link drops`);
    if (process.env.L13_DIAG) console.error(`drops ${drops}, cut exchanges ${cut()}`);
    const codes = await done;
    assert.deepEqual(codes, [0, 0, 0], agencies.map((p) => p.stderr.slice(-5).join('\n')).join('\n'));
    await cluster.drain(2000);
    await system.stop(3000);
    // The core's TP0 lines (this process: `sorteo`) come before the agencies' answers.
    const report = lint([...captured.filter((l) => l.includes('action: sorteo')), ...[1, 2, 3].flatMap((id) => prefixed(`client${id}`, agencies[id - 1].lines))], {
      expectDraw: true,
      expectedWinners: { client1: gen.winners[1], client2: gen.winners[2], client3: gen.winners[3] },
      allowFail: true,
    });
    assert.equal(report.sorteo, 1);
    assert.equal(Object.keys(report.winnersBySource).length, 3);
    const expected: string[] = [];
    for (let a = 1; a <= 3; a++) {
      for (const l of readFileSync(join(data, `agency-${a}.csv`), 'utf8').split('\n')) if (l.trim()) expected.push(JSON.stringify(toRow(parseAgencyCsvRow(a, l.replace(/\r$/, '')))));
    }
    assert.deepEqual(betsCsv(settings.dataDir).map((r) => JSON.stringify(r)).sort(), expected.sort());
  });
});
