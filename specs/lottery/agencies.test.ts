// Agencies against the server (lottery.md §3 Ex5-7, §5, §11): attribution by agency with the same
// DNIs everywhere, leading zeros end to end, exact batch grouping, fewer than five / one / zero
// agencies through `lottery run`, and the upstream configuration of the agency process.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateData } from '../../actors/lottery/dataset.ts';
import { parseAgencyCsvRow, toRow } from '../../protocols/lottery/index.ts';
import { AgencyGroup, groupOutcome, setProgressSink } from '../../actors/lottery/agencies.ts';
import {
  betsCsv,
  captured,
  clientSettings,
  details,
  linesOf,
  lint,
  lottery,
  prefixed,
  runAgencies,
  serverReady,
  startInProcess,
  tmp,
  writeAgencyFile,
  type InProcess,
} from './helpers.ts';

describe('lottery agencies', () => {
  const servers: InProcess[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it('attributes winners by agency: the same DNIs in every agency, different winning rows', async () => {
    const from = captured.length;
    const dir = tmp();
    const docs = ['00000000', '00012345', '30904465', '00000001'];
    // agency a wins on the first a-1 documents (agency 1: none), once per winning row
    const files = [1, 2, 3, 4].map((a) =>
      writeAgencyFile(
        dir,
        a,
        docs.flatMap((d, i) => [`Ana,Pérez,${d},1990-01-0${i + 1},${i < a - 1 ? 7574 : 1000 + i}`, `Luis,Núñez,${d},1980-12-31,${i === 0 && a === 4 ? 7574 : 42}`]),
      ),
    );
    const srv = await startInProcess({ agencies: 4 });
    servers.push(srv);
    const out = await runAgencies(srv.system, files.map((f, i) => clientSettings(i + 1, srv.port, f, { protocol: i % 2 ? 'A' : 'B', maxAmount: 3 })));
    assert.deepEqual(out.codes, { 1: 0, 2: 0, 3: 0, 4: 0 });
    assert.deepEqual(out.winners, { 1: 0, 2: 1, 3: 2, 4: 4 });
    const lines = captured.slice(from);
    lint(lines, { clients: [], expectDraw: true, expectedBets: 32, expectedWinners: { client1: 0, client2: 1, client3: 2, client4: 4 } });
    const rows = betsCsv(srv.dataDir);
    assert.equal(rows.length, 32, 'no deduplication by DNI');
    assert.deepEqual([...new Set(rows.map((r) => r[3]))].sort(), [...docs].sort(), 'leading zeros kept');
  });

  it('groups batches exactly: maxAmount bets per batch except the last', async () => {
    const dir = tmp();
    const rows = Array.from({ length: 100 }, (_, i) => `Nombre${i},Apellido,${String(i).padStart(8, '0')},2000-01-01,${i}`);
    for (const [m, expected] of [
      [1, Array(100).fill(1)],
      [7, [...Array(14).fill(7), 2]],
      [35, [35, 35, 30]],
      [100, [100]],
      [150, [100]],
    ] as [number, number[]][]) {
      const from = captured.length;
      const f = writeAgencyFile(dir, 1, rows, m % 2 ? '\n' : '\r\n'); // LF and CRLF files
      const srv = await startInProcess({ agencies: 1 });
      servers.push(srv);
      const out = await runAgencies(srv.system, [clientSettings(1, srv.port, f, { maxAmount: m, protocol: m === 7 ? 'A' : 'B' })]);
      assert.equal(out.codes[1], 0);
      const lines = captured.slice(from);
      lint(lines, { expectedBets: 100 });
      assert.deepEqual(details(linesOf(lines, 'server').map((l) => `server | ${l}`), 'apuesta_recibida').map((d) => Number(d.cantidad)), expected, `maxAmount ${m}`);
    }
  });

  it('progress reaches the sink of a group that shows it (up to 100% and every bet; its agencies tell it), and a group that shows none shows none', async () => {
    const data = tmp();
    generateData({ agencies: 2, rows: 400, seed: 11, out: data, winnersPerAgency: () => 1 });
    const srv = await startInProcess({ agencies: 2 });
    servers.push(srv);
    const seen: [number, number, number][] = [];
    setProgressSink((id, pct, bets) => seen.push([id, pct, bets]));
    try {
      const clients = [1, 2].map((id) => clientSettings(id, srv.port, join(data, `agency-${id}.csv`), { protocol: 'A', maxAmount: 50 }));
      const g = srv.system.spawn(AgencyGroup, { name: 'progress-sink', thread: 'main', props: { clients, placement: 'main', progress: 'sink' } });
      assert.equal((await groupOutcome(g.path)).code, 0);
      for (const id of [1, 2]) {
        const mine = seen.filter(([i]) => i === id);
        assert.ok(mine.length >= 8, `agency ${id}: ${mine.length} progress reports`);
        assert.deepEqual(mine.at(-1)!.slice(1), [100, 400]);
      }
      seen.length = 0;
      const srv2 = await startInProcess({ agencies: 2 });
      servers.push(srv2);
      const none = srv2.system.spawn(AgencyGroup, { name: 'progress-none', thread: 'main', props: { clients: clients.map((c) => ({ ...c, port: srv2.port, serverAddress: `127.0.0.1:${srv2.port}` })), placement: 'main', progress: 'none' } });
      assert.equal((await groupOutcome(none.path)).code, 0);
      assert.deepEqual(seen, [], 'no progress for a group that shows none');
    } finally {
      setProgressSink(null);
    }
  });

  it('an agency whose file cannot be opened (its reader opens it as it starts) logs leer_apuestas fail and exits 1', async () => {
    const dir = tmp();
    const srv = await startInProcess({ agencies: 1 });
    servers.push(srv);
    for (const protocol of ['A', 'B'] as const) {
      const from = captured.length;
      const out = await runAgencies(srv.system, [clientSettings(1, srv.port, join(dir, 'absent', 'agency-1.csv'), { protocol })]);
      assert.equal(out.codes[1], 1, `protocol ${protocol}`);
      const lines = captured.slice(from);
      assert.ok(lines.some((l) => /action: leer_apuestas \| result: fail/.test(l)), lines.join('\n'));
    }
  });

  it('held agencies (lottery run): they read ahead before the port is known, start at the go, and resume after what the server holds', async () => {
    const from = captured.length;
    const dir = tmp();
    const row = (a: number, i: number): string => `Nombre${i},Apellido${a},${String(a * 1000 + i).padStart(8, '0')},2000-01-01,${i === 7 ? 7574 : i}`;
    const files = [1, 2].map((a) => writeAgencyFile(dir, a, Array.from({ length: a === 1 ? 100 : 50 }, (_, i) => row(a, i))));
    const srv = await startInProcess({ agencies: 2 });
    servers.push(srv);
    // The server already holds agency 1's first two batches of 20 (a run cut short): the held
    // agency read its first batch ahead, and must send from row 41 on, each row once.
    for (const [batchId, rows] of [[1, 0], [2, 20]] as const) {
      const bets = Array.from({ length: 20 }, (_, i) => toRow(parseAgencyCsvRow(1, row(1, rows + i))));
      const r = await srv.server.store.ask<{ ok: boolean }>({ t: 'store', agency: 1, batchId, rows: bets });
      assert.equal(r.ok, true);
    }
    const settings = (port: number) => files.map((f, i) => clientSettings(i + 1, port, f, { protocol: 'A', maxAmount: 20 }));
    // Spawned with a port nobody listens on: a held agency must not connect before the go.
    const g = srv.system.spawn(AgencyGroup, { name: 'held-group', thread: 'main', props: { clients: settings(1), placement: 'main', progress: 'none', held: true } });
    // An agency that starts logs its config line as it starts (before any connection): none has.
    await new Promise((r) => setImmediate(r));
    assert.equal(captured.slice(from).filter((l) => l.includes('action: config')).length, 0, 'no agency started before the go');
    g.tell({ t: 'go', clients: settings(srv.port) });
    const out = await groupOutcome(g.path);
    assert.deepEqual(out.codes, { 1: 0, 2: 0 });
    const lines = captured.slice(from);
    assert.ok(lines.some((l) => l.startsWith('client1 | ') && l.includes(`server_address: 127.0.0.1:${srv.port}`)), 'the config line names the port of the go');
    const stored = betsCsv(srv.dataDir);
    const docs = (a: number): string[] => stored.filter((r) => r[0] === a).map((r) => r[3]);
    assert.equal(docs(1).length, 100, 'agency 1: every row once');
    assert.equal(new Set(docs(1)).size, 100);
    assert.equal(docs(2).length, 50);
    assert.deepEqual(out.winners, { 1: 1, 2: 1 });
  });

  it('a single bet from the environment (Ex5): identical dni on both sides, leading zeros kept', async () => {
    const dataDir = tmp();
    const server = lottery(['server', '--host', '127.0.0.1', '--port', '0', '--agencies', '1', '--data', dataDir, '--mode', 'bet']);
    const port = await serverReady(server);
    const env = { CLI_ID: '1', CLI_MODE: 'bet', NOMBRE: 'Ana María', APELLIDO: 'Fernández', DOCUMENTO: '01234567', NACIMIENTO: '1990-05-17', NUMERO: '7574' };
    for (const protocol of ['B', 'A']) {
      const agency = lottery(['agency', '--server', `127.0.0.1:${port}`, '--protocol', protocol], env);
      assert.equal(await agency.exited, 0, agency.stderr.join('\n'));
      lint(prefixed('client1', agency.lines));
      assert.deepEqual(details(prefixed('client1', agency.lines), 'apuesta_enviada').map((d) => [d.dni, d.numero]), [['01234567', '7574']]);
    }
    server.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    lint(prefixed('server', server.lines));
    assert.deepEqual(details(prefixed('server', server.lines), 'apuesta_almacenada').map((d) => d.dni), ['01234567', '01234567']);
    assert.deepEqual(betsCsv(dataDir).map((r) => r[3]), ['01234567', '01234567']);
  });

  it('reads client/config.yaml and CLI_* the upstream way; echo loop against an echo server; echo-check', async () => {
    const cwd = tmp();
    const server = lottery(['server', '--host', '127.0.0.1', '--port', '0', '--mode', 'echo']);
    const port = await serverReady(server);
    mkdirSync(join(cwd, 'client'));
    writeFileSync(join(cwd, 'client', 'config.yaml'), `server:\n  address: "127.0.0.1:${port}"\nloop:\n  amount: 3\n  period: "20ms"\nlog:\n  level: "INFO"\n`);
    const agency = lottery(['agency'], { CLI_ID: '7', CLI_MODE: 'echo' }, cwd);
    assert.equal(await agency.exited, 0, agency.stderr.join('\n'));
    const lines = prefixed('client7', agency.lines);
    lint(lines);
    assert.match(agency.lines[0], /action: config \| result: success \| client_id: 7 \| server_address: 127\.0\.0\.1:\d+ \| loop_amount: 3 \| loop_period: 20ms \| log_level: INFO$/);
    assert.deepEqual(details(lines, 'receive_message').map((d) => d.msg), ['[CLIENT 7] Message N°1', '[CLIENT 7] Message N°2', '[CLIENT 7] Message N°3']);
    assert.equal(details(lines, 'loop_finished').length, 1);
    const ok = lottery(['echo-check', '--server', `127.0.0.1:${port}`]);
    assert.equal(await ok.exited, 0);
    assert.deepEqual(ok.lines, ['action: test_echo_server | result: success']);
    server.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    const bad = lottery(['echo-check', '--server', `127.0.0.1:${port}`, '--timeout-ms', '1000']);
    assert.equal(await bad.exited, 1);
    assert.deepEqual(bad.lines, ['action: test_echo_server | result: fail']);
  });

  it('the server refuses to start in lottery mode without an agency count', async () => {
    const p = lottery(['server', '--host', '127.0.0.1', '--port', '0'], { AGENCIES: '' }, tmp());
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    assert.equal(await p.exited, 2);
    clearTimeout(t);
    assert.match(p.stderr.join('\n'), /agency count is not configured/);
  });

  it('repeated runs with a randomised start-up order (agencies may come up before the server)', async () => {
    const data = tmp();
    const g = generateData({ agencies: 4, rows: 80, seed: 11, out: data, winnersPerAgency: (a) => a - 1 });
    for (let i = 0; i < 3; i++) {
      const run = lottery(['run', '--agencies', '4', '--data', data, '--protocol', 'mixed', '--start-order', 'random']);
      assert.equal(await run.exited, 0, run.stderr.join('\n'));
      const clients = ['client1', 'client2', 'client3', 'client4'];
      lint(run.lines, { clients, expectedBets: 320, expectDraw: true, expectedWinners: Object.fromEntries(clients.map((c, j) => [c, g.winners[j + 1]])) });
    }
  });

  it('lottery run whose server cannot start: the agencies waiting at their gate stop cleanly (exit 0, never connect), the run exits 1', async () => {
    const data = tmp();
    generateData({ agencies: 2, rows: 10, seed: 9, out: data });
    const blocker = join(tmp(), 'a-file');
    writeFileSync(blocker, 'not a folder\n');
    // --server-data under a regular file: the server process cannot create its data folder.
    const run = lottery(['run', '--agencies', '2', '--data', data, '--server-data', join(blocker, 'data')]);
    assert.equal(await run.exited, 1, run.stderr.join('\n'));
    assert.ok(run.stderr.some((l) => l.includes('lottery run: the server did not start')), run.stderr.join('\n'));
    for (const c of ['client1', 'client2']) {
      assert.ok(run.lines.includes(`${c} exited with code 0`), run.lines.join('\n'));
      assert.ok(!run.lines.some((l) => l.startsWith(`${c} |`) && l.includes('apuesta_enviada')), run.lines.join('\n'));
    }
  });

  for (const n of [3, 1, 0]) {
    it(`lottery run with ${n} agenc${n === 1 ? 'y' : 'ies'} (synthetic data): contract, draw, exits`, async () => {
      const data = tmp();
      const g = generateData({ agencies: Math.max(n, 1), rows: 120, seed: 100 + n, out: data, winnersPerAgency: (a) => a % 3 });
      const run = lottery(['run', '--agencies', String(n), '--data', data, '--protocol', 'mixed', '--batch-max', '17']);
      const code = await run.exited;
      assert.equal(code, 0, run.stderr.join('\n'));
      const clients = Array.from({ length: n }, (_, i) => `client${i + 1}`);
      const expectedWinners = Object.fromEntries(clients.map((c, i) => [c, g.winners[i + 1]]));
      const report = lint(run.lines, { clients, expectedBets: 120 * n, expectDraw: n > 0, expectedWinners });
      assert.equal(report.sorteo, n > 0 ? 1 : 0);
      assert.ok(run.lines.includes('server exited with code 0'));
    });
  }

  for (const mode of ['shared', 'processes'] as const) {
    it(`lottery run, agencies in ${mode === 'shared' ? 'one shared process (default)' : 'a process each (--agency-processes)'}: one exit line per agency, after its winners`, async () => {
      const data = tmp();
      const g = generateData({ agencies: 2, rows: 60, seed: 77, out: data, winnersPerAgency: (a) => a });
      const run = lottery(['run', '--agencies', '2', '--data', data, '--batch-max', '9', ...(mode === 'processes' ? ['--agency-processes'] : [])]);
      assert.equal(await run.exited, 0, run.stderr.join('\n'));
      lint(run.lines, { clients: ['client1', 'client2'], expectedBets: 120, expectDraw: true, expectedWinners: { client1: g.winners[1], client2: g.winners[2] } });
      for (const c of ['client1', 'client2']) {
        const exits = run.lines.filter((l) => l === `${c} exited with code 0`);
        assert.equal(exits.length, 1, run.lines.join('\n'));
        const won = run.lines.findIndex((l) => l.startsWith(`${c} | `) && l.includes('consulta_ganadores'));
        assert.ok(won >= 0 && won < run.lines.indexOf(exits[0]), 'the exit line comes after the winners');
      }
      assert.equal(run.lines.some((l) => l.startsWith('agencies ')), false, 'no line names the shared process itself');
    });
  }
});
