// The life of a multi-process lottery server (`lottery server --processes`, `processes: true`),
// with real processes, sockets and node links on loopback, on generated data (no ../shared):
//  - the per-run link secret reaches the acceptor processes in their environment only (never a
//    command line, never a file), a node with another secret is refused, and SIGTERM stops every
//    process with exit 0 after the closures;
//  - the core killed with SIGKILL: its acceptor processes do not outlive it;
//  - acceptor processes that cannot listen are restarted, then the server gives up with exit 1
//    and one line;
//  - the topology form (`processes: true`) runs agencies to the draw.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { ActorSystem } from '../../runtime/index.ts';
import { generateData } from '../../actors/lottery/dataset.ts';
import { freePort } from '../../actors/lottery/server.ts';
import { betsCsv, lint, lottery, prefixed, serverReady, tmp, type Proc } from './helpers.ts';

const BIN = new URL('../../bin/actor-runtime.ts', import.meta.url).pathname;

function logs(p: Proc, msg: string): Record<string, unknown>[] {
  return p.stderr.filter((l) => l.startsWith('{') && l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const clusterServer = (port: number, dataDir: string, agencies: number, servers = 2): Proc =>
  lottery(['server', '--processes', '--servers', String(servers), '--host', '127.0.0.1', '--port', String(port), '--agencies', String(agencies), '--data', dataDir], { LOG_LEVEL: 'info' });

const agency = (id: number, port: number, file: string): Proc =>
  lottery(['agency', '--id', String(id), '--server', `127.0.0.1:${port}`, '--file', file, '--protocol', 'A', '--batch-max', '50', '--connect-retry-ms', '20000']);

describe('lottery server as separate processes: life', () => {
  it('secret only in the acceptors\' environment; another secret refused; agencies served; SIGTERM stops all with exit 0', async () => {
    const data = tmp();
    const gen = generateData({ agencies: 2, rows: 600, seed: 13, out: data, winnersPerAgency: (a) => a });
    const dataDir = tmp();
    const port = await freePort();
    const s = clusterServer(port, dataDir, 2);
    assert.equal(await serverReady(s), port);
    const pids = logs(s, 'acceptor process listening').map((l) => l.pid as number);
    assert.equal(pids.length, 2);
    // The secret: in each acceptor's environment, on no command line, in no file.
    const environ = readFileSync(`/proc/${pids[0]}/environ`, 'utf8').split('\0');
    const secret = environ.find((e) => e.startsWith('LOTTERY_CLUSTER_SECRET='))!.split('=')[1];
    assert.match(secret, /^[0-9a-f]{64}$/);
    for (const pid of [s.child.pid!, ...pids]) assert.ok(!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(secret), `the secret is on the command line of ${pid}`);
    assert.ok(readFileSync(`/proc/${pids[1]}/environ`, 'utf8').includes(`LOTTERY_CLUSTER_SECRET=${secret}`), 'both acceptors have the run\'s secret');
    assert.deepEqual(readdirSync(dataDir).filter((f) => !/^(lottery\.sqlite(-wal|-shm)?|bets\.csv)$/.test(f)), []);
    // A node with another secret reaches nothing.
    const coreUrl = logs(s, 'node started').find((l) => l.node === 'lottery-core')!.url as string;
    process.env.L13_WRONG_SECRET = 'x'.repeat(64);
    const intruder = await ActorSystem.start({ name: 'intruder', threads: 0, logLevel: 'fatal', node: { name: 'intruder', peers: [{ name: 'lottery-core', url: coreUrl }], secretEnv: 'L13_WRONG_SECRET', reconnect: '0' } });
    await assert.rejects(intruder.node!.connected('lottery-core', 1500));
    await intruder.stop(1000);
    await until('the refusal logged', () => logs(s, 'peer refused').length > 0);
    // Agencies are served across the processes and the draw happens.
    const a1 = agency(1, port, `${data}/agency-1.csv`);
    const a2 = agency(2, port, `${data}/agency-2.csv`);
    assert.equal(await a1.exited, 0, a1.stderr.join('\n'));
    assert.equal(await a2.exited, 0, a2.stderr.join('\n'));
    const t0 = Date.now();
    s.kill('SIGTERM');
    assert.equal(await s.exited, 0, s.stderr.join('\n'));
    assert.ok(Date.now() - t0 < 5000, `stopped after ${Date.now() - t0} ms`);
    for (const pid of pids) assert.ok(!alive(pid), `acceptor process ${pid} outlived the server`);
    const report = lint([...prefixed('server', s.lines), ...prefixed('client1', a1.lines), ...prefixed('client2', a2.lines)], {
      expectDraw: true,
      expectedBets: 1200,
      expectedWinners: { client1: gen.winners[1], client2: gen.winners[2] },
    });
    assert.equal(report.sorteo, 1);
    const closures = s.lines.filter((l) => /action: (close_listener|close_store|stop_threads|shutdown) /.test(l)).map((l) => /action: (\w+)/.exec(l)![1]);
    assert.deepEqual(closures, ['close_listener', 'close_listener', 'close_store', 'stop_threads', 'shutdown']);
    assert.equal(betsCsv(dataDir).length, 1200);
  });

  it('the core killed with SIGKILL: its acceptor processes exit too', async () => {
    const s = clusterServer(0, tmp(), 1);
    await serverReady(s);
    const pids = logs(s, 'acceptor process listening').map((l) => l.pid as number);
    assert.equal(pids.length, 2);
    s.kill('SIGKILL');
    await s.exited;
    await until('the acceptor processes gone', () => pids.every((p) => !alive(p)), 10_000);
  });

  it('acceptor processes that cannot listen: restarted with backoff, then exit 1 with one line', async () => {
    // A listener without reusePort holds the port: the acceptors' bind fails.
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen({ port: 0, host: '127.0.0.1' }, r));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const s = clusterServer(port, tmp(), 1, 1);
      assert.equal(await s.exited, 1);
      const errors = s.stderr.filter((l) => l.startsWith('error: ') && !l.startsWith('error: lottery acceptor'));
      assert.equal(errors.length, 1, s.stderr.join('\n'));
      assert.match(errors[0], /cannot start the server: acceptor processes exited \d+ times within 30000 ms/);
      assert.ok(logs(s, 'acceptor process started').length >= 6, 'restarted before giving up');
    } finally {
      holder.close();
    }
  });

  it('topology with processes: true runs its agencies to the draw', async () => {
    const dir = tmp();
    const gen = generateData({ agencies: 3, rows: 300, seed: 3, out: join(dir, 'data'), winnersPerAgency: (a) => a - 1 });
    const port = await freePort();
    const file = join(dir, 'lottery.yaml');
    writeFileSync(
      file,
      [
        'name: lottery-processes-test',
        'threads: 0',
        'logLevel: warn',
        'lottery:',
        '  agencies: 3',
        '  servers: 2',
        '  processes: true',
        `  server: { host: 127.0.0.1, port: ${port}, dataDir: ./server, listenBacklog: 64 }`,
        '  data: ./data',
        '  protocol: A',
        '  clients: [{ id: 1 }, { id: 2 }, { id: 3 }]',
        '  exitWhenDone: true',
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [BIN, 'run', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const errs: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    createInterface({ input: child.stderr! }).on('line', (l) => errs.push(l));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, errs.join('\n'));
    const report = lint(lines, { expectDraw: true, expectedBets: 900, expectedWinners: { client1: gen.winners[1], client2: gen.winners[2], client3: gen.winners[3] } });
    assert.equal(report.sorteo, 1);
    assert.equal(betsCsv(join(dir, 'server')).length, 900);
  });
});
