// Acceptance A17 and A20 (dispatcher.md §7.1, §9): dispatchers side by side survive each other's
// I/O thread crash; process workers killed late are replaced (their request gets WORKER_FAILED),
// killed early escalate (drain, exit 1); module workers that throw, die or hang.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loggerFor, ActorSystem } from '../../runtime/index.ts';
import { startDispatchers } from '../../actors/dispatcher/index.ts';
import { Client, compatEntry, freePort, runCli, running, sleep, startHarness, tmpDir, tx, viewOf } from './helpers.ts';

const handlers = new URL('./fixtures/handlers.ts', import.meta.url).pathname;
const processHandler = new URL('./fixtures/process-handler.mjs', import.meta.url).pathname;

const msgOf = (r: string): string => JSON.parse(r).MSG;

describe('supervision', () => {
  it('A17: two dispatchers of one original file; crashing dispatch01’s I/O thread keeps dispatch02 alive, dispatch01 restarts empty', async () => {
    const dir = tmpDir();
    const [p1, p2] = [await freePort(), await freePort()];
    writeFileSync(join(dir, 'tux'), JSON.stringify({ min_tux_cli: 1, max_tux_cli: 1 }));
    const common = { IP: '127.0.0.1', NumThreads: 2, MaxConnections: 20, StopTimeout: 1, LogLevel: 1, TuxCliProg: './prog', TuxCliSetup: './tux' };
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ '2_NumDispatchers': 2, dispatch01: { ...common, Port: p1, IpcFile: './ipc1' }, dispatch02: { ...common, Port: p2, IpcFile: './ipc2' } }),
    );
    const sys = await ActorSystem.start({ threads: 2, logLevel: 'fatal' });
    const quick = { Restart: { QuickDeathMs: 300 }, Handler: { Kind: 'legacy-tx' as const, ServiceDelayMs: 0 } };
    const section = await startDispatchers(sys, { config: './config.json', overrides: { dispatch01: quick, dispatch02: quick } }, { file: join(dir, 't.yaml'), dir, log: loggerFor('t') });
    try {
      const a = await Client.connect(p1);
      const b = await Client.connect(p2);
      a.send(tx('A1'));
      b.send(tx('B1'));
      await a.reply(1);
      await b.reply(1);
      await sleep(400); // past QuickDeathMs
      // The counters reach the supervisor every 250 ms: wait for the report that holds this request
      // (a fixed wait lost the race on a loaded machine), then kill the thread.
      for (let i = 0; i < 200; i++) {
        const sup = (await sys.snapshot()).actors.find((x) => x.path === `${section.path}/dispatch01`);
        const rep = (sup?.info as { reported?: { accepted: number; replies: number } | null } | undefined)?.reported;
        if (rep && rep.accepted === 1 && rep.replies === 1) break;
        await sleep(25);
      }
      await sys.killThread(0); // dispatch01's I/O thread
      await a.waitEnd(3000);
      // dispatch02's connection is untouched
      b.send(tx('B2'));
      await b.reply(2);
      assert.equal(JSON.parse(b.replies[1]).GUID, 'B2');
      // dispatch01 comes back with an empty table
      let v = null;
      for (let i = 0; i < 100; i++) {
        try {
          v = await viewOf(sys, section.path, 'dispatch01');
          if (v && (v as { listening?: boolean }).listening) break;
        } catch {
          // not up yet
        }
        await sleep(30);
      }
      assert.ok(v);
      assert.equal(v.gauges.liveConnections, 0);
      assert.equal(v.counters.restarts, 1);
      // the counters continue from the last report (every 250 ms) instead of starting again at 0
      assert.equal(v.counters.accepted, 1, JSON.stringify(v.counters));
      assert.equal(v.counters.replies, 1);
      const c = await Client.connect(p1);
      c.send(tx('C1'));
      await c.reply(1);
      assert.equal(JSON.parse(c.replies[0]).GUID, 'C1');
      const after = await viewOf(sys, section.path, 'dispatch01');
      assert.equal(after.counters.accepted, 2);
      assert.equal(after.counters.replies, 2);
      const v2 = await viewOf(sys, section.path, 'dispatch02');
      assert.equal(v2.gauges.liveConnections, 1);
      b.close();
      c.close();
    } finally {
      await section.beforeStop?.();
      await sys.stop(3000);
    }
  });

  it('A20: a process worker killed late: WORKER_FAILED for its request, replaced, others succeed; killed early: drain and exit 1', async () => {
    const port = await freePort();
    const h = await startHarness([
      compatEntry(port, tmpDir(), {
        Workers: { Min: 2, Max: 2 },
        Handler: { Kind: 'process', Command: process.execPath, Args: [processHandler] },
        Restart: { QuickDeathMs: 1500, OnGiveUp: 'stop-runtime' },
        StopTimeout: 1,
      }),
    ]);
    try {
      const c1 = await Client.connect(port);
      const c2 = await Client.connect(port);
      c1.send(tx('PID', 'pid'));
      const pid = Number(msgOf((await c1.reply(1))[0]));
      assert.ok(pid > 0);
      await sleep(1600); // older than QuickDeathMs
      c1.send(tx('SLOW', 'sleep:5000'));
      await sleep(100);
      process.kill(pid, 'SIGKILL');
      assert.equal(msgOf((await c1.reply(2))[1]), 'sleep:5000 ERROR - WORKER_FAILED ');
      c2.send(tx('OTHER', 'hello'));
      assert.equal(msgOf((await c2.reply(1))[0]), 'hello OK - PROCESS');
      await sleep(300);
      c1.send(tx('AFTER', 'again'));
      assert.equal(msgOf((await c1.reply(3))[2]), 'again OK - PROCESS');
      const v = await h.view();
      assert.equal(v.counters.workerFailures, 1);
      assert.equal(v.counters.restarts, 1);
      assert.equal(v.gauges.workers, 2);
      assert.equal(h.fatal.length, 0);
      // Kill the replacement right after its start: quick death, the dispatcher drains, exit 1.
      c1.send(tx('PID2', 'pid'));
      const pid2 = Number(msgOf((await c1.reply(4))[3]));
      assert.notEqual(pid2, pid);
      process.kill(pid2, 'SIGKILL');
      await c1.waitEnd(3000); // drained: the idle connections are closed
      await c2.waitEnd(3000);
      for (let i = 0; i < 50 && h.fatal.length === 0; i++) await sleep(20);
      assert.equal(h.fatal[0]?.code, 1);
      assert.match(h.fatal[0].reason, /quick death/);
    } finally {
      await h.stop();
    }
  });

  it('process worker protocol failures (garbage output) answer WORKER_FAILED; an error line fails only that request', async () => {
    const port = await freePort();
    const h = await startHarness([
      compatEntry(port, tmpDir(), { Handler: { Kind: 'process', Command: process.execPath, Args: [processHandler] }, Restart: { QuickDeathMs: 0 } }),
    ]);
    try {
      const c = await Client.connect(port);
      c.send(tx('E', 'error'));
      c.send(tx('G', 'garbage'));
      c.send(tx('N', 'next'));
      const rs = await c.reply(3, 5000);
      assert.deepEqual(rs.map(msgOf), ['error ERROR - WORKER_FAILED ', 'garbage ERROR - WORKER_FAILED ', 'next OK - PROCESS']);
      c.close();
    } finally {
      await h.stop();
    }
  });

  it('a missing executable is a start failure reported before anything is accepted (exit 1)', async () => {
    const port = await freePort();
    await assert.rejects(
      startHarness([compatEntry(port, tmpDir(), { LogLevel: 0, Handler: { Kind: 'process', Command: '/nonexistent/svc' } })]),
      (err: Error & { exitCode?: number }) => err.exitCode === 1 && /cannot start \/nonexistent\/svc/.test(err.message),
    );
    const port2 = await freePort();
    await assert.rejects(
      startHarness([{ ...compatEntry(port2, tmpDir()), LogLevel: 0, Protocol: 'json', Handler: { Kind: 'module', Module: handlers, Export: 'nope' } }]),
      /has no exported function "nope"/,
    );
  });

  it('module workers: a throw fails only that request; a dying thread is replaced; a hang gets TIMEOUT and its thread replaced', async () => {
    const port = await freePort();
    const base = { IP: '127.0.0.1', NumThreads: 1, StopTimeout: 1, LogLevel: 0, Allow: ['127.0.0.1'], Restart: { QuickDeathMs: 0 } };
    const dir = tmpDir();
    const port2 = await freePort();
    const h = await startHarness(
      [
        { ...base, Name: 'throws', Port: port, Handler: { Kind: 'module', Module: handlers, Export: 'maybeThrow', Concurrency: 4 }, LockFile: join(dir, 'a.lock') },
        { ...base, Name: 'hazards', Port: port2, RequestTimeoutMs: 300, Handler: { Kind: 'module', Module: handlers, Export: 'hazards', Concurrency: 4 }, LockFile: join(dir, 'b.lock') },
      ],
      { threads: 1 },
    );
    try {
      const c = await Client.connect(port, 'length32');
      c.send('{"fail":true}');
      c.send('{"ok":1}');
      const rs = await c.reply(2);
      assert.equal(JSON.parse(rs[0]).error.code, 'WORKER_FAILED');
      assert.deepEqual(JSON.parse(rs[1]), { ok: 1 });

      const d = await Client.connect(port2, 'length32');
      d.send('{"exit":true}');
      assert.equal(JSON.parse((await d.reply(1))[0]).error.code, 'WORKER_FAILED');
      await sleep(200);
      d.send('{"after":"exit"}');
      assert.deepEqual(JSON.parse((await d.reply(2))[1]), { after: 'exit' });
      const t0 = Date.now();
      d.send('{"spin":2500}');
      const r3 = JSON.parse((await d.reply(3, 2000))[2]);
      assert.equal(r3.error.code, 'TIMEOUT');
      assert.ok(Date.now() - t0 < 700, `TIMEOUT after ${Date.now() - t0} ms`);
      // deadline + 1 s: the hung thread is terminated and replaced; service resumes
      let restarts = 0;
      while (restarts < 2 && Date.now() - t0 < 2400) {
        await sleep(25);
        restarts = (await h.view('hazards')).counters.restarts;
      }
      assert.ok(restarts >= 2, 'the hung thread was replaced before the hang would have ended');
      d.send('{"after":"hang"}');
      const r4 = JSON.parse((await d.reply(4, 4000))[3]);
      assert.deepEqual(r4, { after: 'hang' });
      const v = await h.view('hazards');
      assert.equal(v.counters.timeouts, 1);
      c.close();
      d.close();
    } finally {
      await h.stop();
    }
  });

  it('module workers: a request that arrives while the thread hangs waits for the replacement instead of failing with the hung thread', async () => {
    const port = await freePort();
    const dir = tmpDir();
    const h = await startHarness(
      [
        {
          IP: '127.0.0.1', NumThreads: 1, StopTimeout: 1, LogLevel: 0, Allow: ['127.0.0.1'], Restart: { QuickDeathMs: 0 },
          Name: 'held', Port: port, RequestTimeoutMs: 2000, Handler: { Kind: 'module', Module: handlers, Export: 'hazards', Concurrency: 4 }, LockFile: join(dir, 'h.lock'),
        },
      ],
      { threads: 1 },
    );
    try {
      const d = await Client.connect(port, 'length32');
      d.send('{"ok":0}');
      await d.reply(1); // the thread is up
      const t0 = Date.now();
      d.send('{"spin":6000}');
      assert.equal(JSON.parse((await d.reply(2, 4000))[1]).error.code, 'TIMEOUT');
      await sleep(Math.max(0, t0 + 2600 - Date.now())); // past the deadline: the thread is suspect, not yet replaced
      assert.equal((await h.view('held')).counters.restarts, 0);
      d.send('{"probe":1}');
      const r = JSON.parse((await d.reply(3, 5000))[2]);
      assert.deepEqual(r, { probe: 1 }, 'answered by the replacement thread');
      assert.ok(Date.now() - t0 < 5500, 'before the hang would have ended');
      assert.equal((await h.view('held')).counters.restarts, 1);
      d.close();
    } finally {
      await h.stop();
    }
  });

  it('escalation in the CLI: a module worker dying right after the start makes the runtime exit 1; LogLevel is honoured', async () => {
    const dir = tmpDir();
    const port = await freePort();
    const topo = join(dir, 't.yaml');
    writeFileSync(
      topo,
      `dispatchers:\n  instances:\n    - { Name: fragile, IP: 127.0.0.1, Port: ${port}, StopTimeout: 1, LogLevel: 5, Restart: { OnGiveUp: stop-runtime }, Allow: [127.0.0.1], Trace: [127.0.0.0/8], Handler: { Kind: module, Module: '${handlers}', Export: hazards } }\n`,
    );
    const cli = runCli(['run', topo, '--no-control']);
    await running(cli);
    const c = await Client.connect(port, 'length32');
    c.send('{"exit":true}');
    const { code } = await cli.exited;
    assert.equal(code, 1, cli.stderr());
    assert.ok(cli.logs.some((l) => l.dispatcher === 'fragile' && l.level === 20 && l.msg === 'connection accepted'), 'debug lines at LogLevel 5');
    assert.ok(cli.logs.some((l) => l.msg === 'escalating: the dispatcher drains and stops'));
    assert.ok(cli.logs.some((l) => l.msg === 'frame' && l.frame === '{"exit":true}'), 'Trace logs the frames of traced peers');
    c.close();
  });
});
