// Graceful SIGTERM (lottery.md §3 Ex4, §11): the server and an agency at every phase (idle,
// mid-batch, parked on the draw) exit 0, log each closure with result success, and no
// acknowledged bet is lost; a stopped server restarted on the same data picks up where it was.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateData } from '../../actors/lottery/dataset.ts';
import { freePort } from '../../actors/lottery/server.ts';
import { betsCsv, details, lint, lottery, prefixed, serverReady, tmp, type Proc } from './helpers.ts';

function server(port: number, dataDir: string, agencies: number): Proc {
  return lottery(['server', '--host', '127.0.0.1', '--port', String(port), '--agencies', String(agencies), '--data', dataDir]);
}

function agency(id: number, port: number, file: string, protocol: 'A' | 'B', batchMax = 3): Proc {
  return lottery(['agency', '--id', String(id), '--server', `127.0.0.1:${port}`, '--file', file, '--protocol', protocol, '--batch-max', String(batchMax), '--log-level', 'DEBUG', '--connect-retry-ms', '20000']);
}

/** Bets the agency saw acknowledged (its DEBUG batch_enviado lines). */
function acked(p: Proc, id: number): number {
  return details(prefixed(`client${id}`, p.lines), 'batch_enviado').reduce((n, d) => n + Number(d.cantidad), 0);
}

function storedFor(dataDir: string, id: number): number {
  return betsCsv(dataDir).filter((r) => r[0] === id).length;
}

function closures(p: Proc): string[] {
  return p.lines.filter((l) => /action: (close_\w+|stop_threads|shutdown) \| result: success/.test(l)).map((l) => /action: (\w+)/.exec(l)![1]);
}

describe('lottery SIGTERM', () => {
  it('server: idle, exits 0 and logs each closure', async () => {
    const dataDir = tmp();
    const s = server(0, dataDir, 2);
    await serverReady(s);
    const t0 = Date.now();
    s.kill('SIGTERM');
    assert.equal(await s.exited, 0, s.stderr.join('\n'));
    assert.ok(Date.now() - t0 < 5000, `exit after ${Date.now() - t0} ms`);
    lint(prefixed('server', s.lines), { expectDraw: false });
    assert.deepEqual(closures(s), ['close_listener', 'close_store', 'stop_threads', 'shutdown']);
  });

  it('server: mid-batch and with a parked agency; nothing acknowledged is lost; a restart finishes the run', async () => {
    const data = tmp();
    generateData({ agencies: 2, rows: 1500, seed: 5, out: data, winnersPerAgency: () => 1 });
    const dataDir = tmp();
    const port = await freePort();
    let s = server(port, dataDir, 2);
    await serverReady(s);
    const a1 = agency(1, port, `${data}/agency-1.csv`, 'A', 100); // finishes fast, then parks on FIN
    const a2 = agency(2, port, `${data}/agency-2.csv`, 'B', 2);
    await a1.waitFor(/batch_enviado/);
    await s.waitFor(/cantidad: 2$/);
    for (let i = 0; i < 200 && s.lines.filter((l) => l.endsWith('cantidad: 2')).length < 40; i++) await new Promise((r) => setTimeout(r, 10));
    const tKill = Date.now();
    s.kill('SIGTERM');
    assert.equal(await s.exited, 0, s.stderr.join('\n'));
    assert.ok(Date.now() - tKill < 5000, `exit after ${Date.now() - tKill} ms (a parked agency and a batch in flight)`);
    lint(prefixed('server', s.lines), { expectDraw: false });
    assert.ok(closures(s).includes('close_store') && closures(s).at(-1) === 'shutdown');
    // every bet the agencies saw acknowledged is stored
    assert.ok(storedFor(dataDir, 2) >= acked(a2, 2), `stored ${storedFor(dataDir, 2)} < acked ${acked(a2, 2)}`);
    assert.ok(storedFor(dataDir, 1) >= acked(a1, 1));
    // the agencies retry; a new server on the same data finishes the run
    s = server(port, dataDir, 2);
    await serverReady(s);
    assert.equal(await a1.exited, 0, a1.stderr.join('\n'));
    assert.equal(await a2.exited, 0, a2.stderr.join('\n'));
    s.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    lint([...prefixed('server', s.lines), ...prefixed('client1', a1.lines), ...prefixed('client2', a2.lines)], { expectDraw: true });
    assert.equal(details(prefixed('client1', a1.lines), 'consulta_ganadores')[0]?.cant_ganadores, '1');
    assert.equal(details(prefixed('client2', a2.lines), 'consulta_ganadores')[0]?.cant_ganadores, '1');
    assert.equal(storedFor(dataDir, 1), 1500);
    assert.equal(storedFor(dataDir, 2), 1500, 'a batch in flight at SIGTERM is finished, not duplicated');
  });

  it('agency: idle (server unreachable), mid-batch and parked on the draw, each exits 0', async () => {
    const data = tmp();
    generateData({ agencies: 3, rows: 3000, seed: 9, out: data });
    const dataDir = tmp();
    const port = await freePort();
    // idle: no server yet, the agency is waiting to reconnect
    const idle = agency(3, port, `${data}/agency-3.csv`, 'B');
    await serverReady(idle); // its SIGTERM handler is installed (start-up is slow on a loaded CI)
    await new Promise((r) => setTimeout(r, 700));
    idle.kill('SIGTERM');
    assert.equal(await idle.exited, 0, idle.stderr.join('\n'));
    lint(prefixed('client3', idle.lines));
    assert.deepEqual(closures(idle), ['close_file', 'shutdown']);

    const s = server(port, dataDir, 3);
    await serverReady(s);
    // mid-batch
    const mid = agency(2, port, `${data}/agency-2.csv`, 'B', 2);
    await mid.waitFor(/batch_enviado/);
    for (let i = 0; i < 200 && acked(mid, 2) < 60; i++) await new Promise((r) => setTimeout(r, 10));
    mid.kill('SIGTERM');
    assert.equal(await mid.exited, 0, mid.stderr.join('\n'));
    lint(prefixed('client2', mid.lines));
    assert.deepEqual(closures(mid).slice(-1), ['shutdown']);
    assert.ok(acked(mid, 2) < 3000);
    assert.equal(storedFor(dataDir, 2), acked(mid, 2), 'the exchange in flight is finished before exiting: stored = acknowledged');
    // parked on the draw (agency 2 never closes): A waits on its FIN connection, B polls WinnersRequest
    for (const [id, protocol] of [[1, 'A'], [3, 'B']] as const) {
      const parked = agency(id, port, `${data}/agency-${id}.csv`, protocol, 500);
      for (let i = 0; i < 500 && acked(parked, id) < 3000; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      parked.kill('SIGTERM');
      assert.equal(await parked.exited, 0, parked.stderr.join('\n'));
      assert.ok(Date.now() - t0 < 5000);
      lint(prefixed(`client${id}`, parked.lines));
      assert.deepEqual(closures(parked).slice(-2), ['close_file', 'shutdown']);
      if (protocol === 'A') assert.ok(closures(parked).includes('close_connection'));
      assert.equal(storedFor(dataDir, id), 3000);
    }
    const st = s.lines.filter((l) => l.includes('sorteo'));
    assert.deepEqual(st, []);
    s.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    lint(prefixed('server', s.lines), { expectDraw: false });
  });
});
