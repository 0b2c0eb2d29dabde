// Limits and backpressure (dispatcher.md §5.6): MaxInFlightPerConnection, QueueCapacity with
// OnQueueFull pause/reject, RequestTimeoutMs, IdleTimeoutMs, pool growth to Workers.Max and
// retirement after IdleMs, and `actor-runtime inspect` showing the table and counters.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CLI, Client, compatEntry, freePort, runCli, running, sleep, startHarness, tmpDir, tx } from './helpers.ts';

const guids = (c: Client): string[] => c.replies.map((r) => JSON.parse(r).GUID);
const msgs = (c: Client): string[] => c.replies.map((r) => JSON.parse(r).MSG);

describe('limits and backpressure', () => {
  it('MaxInFlightPerConnection: reading pauses at the limit; replies stay in order', async () => {
    const port = await freePort();
    const h = await startHarness([compatEntry(port, tmpDir(), { MaxInFlightPerConnection: 2, Workers: { Min: 4, Max: 4 }, Handler: { Kind: 'legacy-tx', ServiceDelayMs: 150 } })]);
    try {
      const c = await Client.connect(port);
      const t0 = Date.now();
      c.sendRaw(['a', 'b', 'c', 'd', 'e', 'f'].map((g) => tx(g)).join(''));
      let maxInFlight = 0;
      while (c.replies.length < 6 && Date.now() - t0 < 3000) {
        const v = await h.view();
        maxInFlight = Math.max(maxInFlight, v.gauges.inFlight);
        await sleep(20);
      }
      assert.deepEqual(guids(c), ['a', 'b', 'c', 'd', 'e', 'f']);
      assert.ok(maxInFlight <= 2, `in flight ${maxInFlight}`);
      const dt = Date.now() - t0;
      assert.ok(dt >= 430, `six requests two at a time take three service delays, took ${dt} ms`);
      c.close();
    } finally {
      await h.stop();
    }
  });

  it('QueueCapacity with OnQueueFull reject: BUSY in sequence; with pause: everyone is served', async () => {
    const dir = tmpDir();
    const [p1, p2] = [await freePort(), await freePort()];
    const common = { QueueCapacity: 2, Workers: { Min: 1, Max: 1 }, Handler: { Kind: 'legacy-tx' as const, ServiceDelayMs: 50 } };
    const h = await startHarness([compatEntry(p1, dir, { Name: 'reject', OnQueueFull: 'reject', ...common }), compatEntry(p2, dir, { Name: 'pause', OnQueueFull: 'pause', ...common })]);
    try {
      const rs = await Promise.all(Array.from({ length: 6 }, () => Client.connect(p1)));
      rs.forEach((c, i) => c.send(tx(`R${i}`)));
      await Promise.all(rs.map((c) => c.reply(1, 3000)));
      const busy = rs.filter((c) => msgs(c)[0] === 'm ERROR - BUSY ').length;
      assert.ok(busy >= 1, 'some requests were refused');
      assert.equal((await h.view('reject')).counters.busy, busy);
      const ps = await Promise.all(Array.from({ length: 6 }, () => Client.connect(p2)));
      ps.forEach((c, i) => c.sendRaw(tx(`P${i}a`) + tx(`P${i}b`)));
      await Promise.all(ps.map((c) => c.reply(2, 5000)));
      ps.forEach((c, i) => assert.deepEqual(guids(c), [`P${i}a`, `P${i}b`]));
      assert.ok(ps.every((c) => msgs(c).every((m) => m === 'm OK - TX DONE!! ')));
      assert.equal((await h.view('pause')).counters.busy, 0);
      for (const c of [...rs, ...ps]) c.close();
    } finally {
      await h.stop();
    }
  });

  it('RequestTimeoutMs: TIMEOUT at the deadline, the late reply is dropped; IdleTimeoutMs closes a quiet connection without a byte', async () => {
    const dir = tmpDir();
    const [p1, p2] = [await freePort(), await freePort()];
    const h = await startHarness([
      compatEntry(p1, dir, { Name: 'timeout', RequestTimeoutMs: 150, Handler: { Kind: 'legacy-tx', ServiceDelayMs: 400 } }),
      compatEntry(p2, dir, { Name: 'idle', IdleTimeoutMs: 200 }),
    ]);
    try {
      const c = await Client.connect(p1);
      const t0 = Date.now();
      c.send(tx('T'));
      await c.reply(1);
      const dt = Date.now() - t0;
      assert.ok(dt >= 140 && dt < 350, `TIMEOUT after ${dt} ms`);
      assert.deepEqual(msgs(c), ['m ERROR - TIMEOUT ']);
      await sleep(400);
      assert.equal(c.replies.length, 1, 'the late reply is dropped');
      assert.equal((await h.view('timeout')).counters.timeouts, 1);

      const quiet = await Client.connect(p2);
      const active = await Client.connect(p2);
      const t1 = Date.now();
      for (let i = 0; i < 5; i++) {
        active.send(tx(`I${i}`));
        await sleep(70);
      }
      await quiet.waitEnd(1000);
      const closedAt = Date.now() - t1;
      assert.ok(closedAt >= 180 && closedAt < 500, `closed at ${closedAt} ms`);
      assert.equal(quiet.raw.length, 0);
      assert.ok(!active.ended, 'a connection with traffic stays open');
      assert.equal(active.replies.length, 5);
      c.close();
      active.close();
    } finally {
      await h.stop();
    }
  });

  it('a process worker that misses the deadline: TIMEOUT, the child is killed and replaced', async () => {
    const port = await freePort();
    const script = new URL('./fixtures/process-handler.mjs', import.meta.url).pathname;
    const h = await startHarness([compatEntry(port, tmpDir(), { RequestTimeoutMs: 300, Handler: { Kind: 'process', Command: process.execPath, Args: [script] } })]);
    try {
      const c = await Client.connect(port);
      // The first child may take longer than RequestTimeoutMs to start on a loaded machine: ask
      // until one answers with its pid (a TIMEOUT before that is not what this test is about).
      let pid = NaN;
      let n = 0;
      while (!(pid > 0)) {
        assert.ok(n < 10, `a child answers its pid (replies so far: ${JSON.stringify(msgs(c))})`);
        c.send(tx('PID', 'pid'));
        n++;
        pid = Number(JSON.parse((await c.reply(n, 3000))[n - 1]).MSG);
      }
      const t0 = Date.now();
      c.send(tx('SLOW', 'sleep:5000'));
      await c.reply(n + 1, 2000);
      assert.equal(msgs(c)[n], 'sleep:5000 ERROR - TIMEOUT ');
      assert.ok(Date.now() - t0 < 600);
      await sleep(700); // the check runs every 500 ms: SIGTERM, replacement
      c.send(tx('NEXT', 'pid'));
      const next = Number(JSON.parse((await c.reply(n + 2, 3000))[n + 1]).MSG);
      assert.ok(next > 0 && next !== pid, 'served by a new child');
      assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the old child is gone');
      assert.equal((await h.view()).counters.restarts, 1);
      c.close();
    } finally {
      await h.stop();
    }
  });

  it('the pool grows toward Workers.Max under queue pressure and retires surplus workers after IdleMs', async () => {
    const port = await freePort();
    const h = await startHarness([compatEntry(port, tmpDir(), { Workers: { Min: 1, Max: 3, IdleMs: 300 }, Handler: { Kind: 'legacy-tx', ServiceDelayMs: 150 } })]);
    try {
      assert.equal((await h.view()).gauges.workers, 1);
      const cs = await Promise.all(Array.from({ length: 6 }, () => Client.connect(port)));
      const t0 = Date.now();
      cs.forEach((c, i) => c.send(tx(`W${i}`)));
      let peak = 0;
      while (cs.some((c) => c.replies.length === 0) && Date.now() - t0 < 3000) {
        peak = Math.max(peak, (await h.view()).gauges.workers);
        await sleep(20);
      }
      cs.forEach((c, i) => assert.deepEqual(guids(c), [`W${i}`]));
      assert.equal(peak, 3);
      const dt = Date.now() - t0;
      assert.ok(dt < 6 * 150, `served faster than one worker could (${dt} ms)`);
      let workers = 3;
      for (let i = 0; i < 60 && workers > 1; i++) {
        await sleep(50);
        workers = (await h.view()).gauges.workers;
      }
      assert.equal(workers, 1, 'surplus workers retired');
      for (const c of cs) c.close();
    } finally {
      await h.stop();
    }
  });

  it('actor-runtime inspect shows the table, counters and gauges of each dispatcher', async () => {
    const dir = tmpDir();
    const port = await freePort();
    const topo = join(dir, 't.yaml');
    const sock = join(dir, 'control.sock');
    writeFileSync(topo, `name: insp\ndispatchers:\n  instances:\n    - { Name: shown, IP: 127.0.0.1, Port: ${port}, NumThreads: 3, Framing: legacy, Protocol: legacy-tx, Handler: { Kind: legacy-tx, ServiceDelayMs: 0 }, LogLevel: 1 }\n`);
    const cli = runCli(['run', topo, '--control', sock]);
    try {
      await running(cli);
      const c = await Client.connect(port);
      c.send(tx('X'));
      await c.reply(1);
      const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'inspect', '--socket', sock]);
      assert.match(stdout, /\/dispatchers\/shown\/io\/acceptor:/);
      assert.match(stdout, /accepted=1/);
      assert.match(stdout, /replies=1/);
      assert.match(stdout, /liveConnections=1/);
      assert.match(stdout, /SLOT\s+GEN\s+GROUP\s+STATUS\s+PEER\s+ENTRY\s+LASTOP\s+NUMOPS\s+INFLIGHT/);
      assert.match(stdout, /\n\s+0\s+0\s+0\s+idle\s+127\.0\.0\.1:\d+\s+\S+\s+\S+\s+1\s+0/);
      const json = JSON.parse((await promisify(execFile)(process.execPath, [CLI, 'inspect', '--socket', sock, '--json'])).stdout);
      const info = json.actors.find((a: { path: string }) => a.path === '/dispatchers/shown/io/acceptor').info;
      assert.deepEqual(info.gauges.groupLoads, [1, 0, 0]);
      c.close();
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  });
});
