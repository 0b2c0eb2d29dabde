// Acceptance A14-A16 (dispatcher.md §6, §9) with the real CLI in a child process: SIGTERM with no
// clients, with a request in flight (and an idle client), and a drain that hits its deadline.
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { A1_REPLY, A1_REQ, Client, freePort, runCli, running, sleep, tmpDir } from './helpers.ts';

const fixture = new URL('./fixtures/handlers.ts', import.meta.url).pathname;

function legacyConfig(dir: string, port: number, stopTimeout: number): string {
  const file = join(dir, 'config.json');
  writeFileSync(join(dir, 'tux.json'), JSON.stringify({ min_tux_cli: 2, max_tux_cli: 2, xml_n_term: 1 }));
  writeFileSync(
    file,
    JSON.stringify({
      '1_Note': 'test',
      '1_Version': 1,
      '2_NumDispatchers': 1,
      dispatch01: { IP: '127.0.0.1', Port: port, NumThreads: 2, MaxConnections: 10, StopTimeout: stopTimeout, LogLevel: 4, TuxCliProg: './prog', TuxCliSetup: './tux.json', IpcFile: './ipcfile_dispatch01' },
    }),
  );
  return file;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('shutdown', () => {
  it('A14: no clients, SIGTERM: exit 0 within 1 s, lock removed, port bindable again', async () => {
    const dir = tmpDir();
    const port = await freePort();
    const cli = runCli(['run', legacyConfig(dir, port, 30), '--no-control']);
    await running(cli);
    assert.ok(existsSync(join(dir, 'ipcfile_dispatch01')), 'lock file held while running');
    const t0 = Date.now();
    cli.child.kill('SIGTERM');
    const { code, at } = await cli.exited;
    assert.equal(code, 0, cli.stderr());
    assert.ok(at - t0 < 1000, `exit after ${at - t0} ms`);
    assert.ok(!existsSync(join(dir, 'ipcfile_dispatch01')), 'lock removed');
    assert.ok(await bindable(port));
  });

  it('A15: SIGTERM with a request in flight: refused connects, the exact reply, EOF, exit 0; an idle client gets EOF at once', async () => {
    const dir = tmpDir();
    const port = await freePort();
    const cli = runCli(['run', legacyConfig(dir, port, 5), '--no-control']);
    await running(cli);
    const idle = await Client.connect(port);
    const busy = await Client.connect(port);
    await sleep(50);
    const t0 = Date.now();
    busy.send(A1_REQ);
    await sleep(200);
    cli.child.kill('SIGTERM');
    const tSig = Date.now();
    await idle.waitEnd(1000);
    assert.ok(Date.now() - tSig < 300, 'the idle client gets EOF at once');
    assert.equal(idle.raw.length, 0);
    await sleep(50);
    assert.ok(await refused(port), 'new connects are refused');
    await busy.waitEnd(3000);
    const tReply = Date.now() - t0;
    assert.equal(busy.raw.toString('latin1'), A1_REPLY);
    assert.ok(tReply >= 900 && tReply < 1800, `reply + EOF at ${tReply} ms`);
    const { code, at } = await cli.exited;
    assert.equal(code, 0, cli.stderr());
    assert.ok(at - t0 < 2200, `exit at ${at - t0} ms`);
    assert.ok(!existsSync(join(dir, 'ipcfile_dispatch01')));
  });

  it('A16: a drain that reaches StopTimeout closes the connection at ≈ 2 s, exits within 4 s, abandoned = 1', async () => {
    const dir = tmpDir();
    const port = await freePort();
    const topo = join(dir, 'topology.yaml');
    writeFileSync(
      topo,
      [
        'name: a16',
        'threads: 1',
        'dispatchers:',
        '  instances:',
        `    - { Name: slow, IP: 127.0.0.1, Port: ${port}, NumThreads: 1, StopTimeout: 2, LogLevel: 3, Handler: { Kind: module, Module: '${fixture}', Export: sleep } }`,
        '',
      ].join('\n'),
    );
    const cli = runCli(['run', topo, '--no-control']);
    await running(cli);
    const c = await Client.connect(port, 'length32');
    c.send('{"ms":10000}');
    await sleep(200);
    const t0 = Date.now();
    cli.child.kill('SIGTERM');
    await c.waitEnd(4000);
    const closedAt = Date.now() - t0;
    assert.ok(closedAt >= 1900 && closedAt < 2800, `closed at ${closedAt} ms`);
    assert.deepEqual(c.replies.map((r) => JSON.parse(r).error?.code), ['SHUTDOWN']);
    const { code, at } = await cli.exited;
    assert.equal(code, 0);
    assert.ok(at - t0 < 4000, `exit at ${at - t0} ms`);
    const done = cli.logs.find((l) => l.msg === 'drain finished');
    assert.equal(done?.abandoned, 1, cli.stderr());
  });
});
