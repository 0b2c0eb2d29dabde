// Fast start (issue 12) under §7.1: a dispatcher binds its listener while its handlers start.
// A connection made meanwhile is held (accepted, not read): its request is answered once the
// handler is up, never failed because of the start; if the handler fails to start, the failure is
// reported as before (the start rejects with it) and the held connection is closed with zero bytes.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, freePort, startHarness, tmpDir, type Harness } from './helpers.ts';

const gated = fileURLToPath(new URL('./fixtures/gated-handler.ts', import.meta.url));

/** Resolves once something accepts on the port (polled; the listener binds before the handler is up). */
async function whenListening(port: number, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true))).once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function entry(port: number, dir: string) {
  return {
    Name: 'gated',
    IP: '127.0.0.1',
    Port: port,
    NumThreads: 1,
    StopTimeout: 1,
    LogLevel: 0,
    Framing: 'length32' as const,
    Protocol: 'json' as const,
    Allow: ['127.0.0.1'],
    Handler: { Kind: 'module' as const, Module: gated, Export: 'echo' },
    Workers: { Min: 1, Max: 1 },
    LockFile: join(dir, 'gated.lock'),
  };
}

describe('binding before the handlers are up', () => {
  const harnesses: Harness[] = [];
  after(async () => {
    delete process.env.DISPATCHER_TEST_GATE;
    delete process.env.DISPATCHER_TEST_GATE_FAIL;
    for (const h of harnesses) await h.stop();
  });

  it('a request sent while the handler starts waits and is answered once it is up', async () => {
    const dir = tmpDir();
    const gate = join(dir, 'gate');
    process.env.DISPATCHER_TEST_GATE = gate; // read by the handler thread, created after this
    const port = await freePort();
    let startedAt = 0;
    const starting = startHarness([entry(port, dir)], { dir }).then((h) => ((startedAt = Date.now()), harnesses.push(h), h));
    await whenListening(port);
    const c = await Client.connect(port, 'length32');
    c.send('{"early":1}');
    c.send('{"early":2}');
    assert.equal(startedAt, 0, 'the dispatcher is listening but not ready: its handler is still loading');
    const openedAt = Date.now();
    writeFileSync(gate, '');
    const replies = await c.reply(2, 10_000);
    assert.deepEqual(replies.map((r) => JSON.parse(r)), [{ early: 1 }, { early: 2 }]);
    const h = await starting;
    assert.ok(startedAt >= openedAt, 'ready only after the handler came up');
    const v = await h.view('gated');
    assert.equal(v.counters.accepted, 2, 'the probe and the client were accepted');
    assert.equal(v.counters.replies, 2);
    c.close();
  });

  it('a handler that fails to start: the start is refused with its error and a held connection gets EOF with zero bytes', async () => {
    const dir = tmpDir();
    const gate = join(dir, 'gate');
    process.env.DISPATCHER_TEST_GATE = gate;
    process.env.DISPATCHER_TEST_GATE_FAIL = '1';
    const port = await freePort();
    const starting = startHarness([entry(port, dir)], { dir });
    const refused = assert.rejects(starting, /gated handler refused to start/);
    await whenListening(port);
    const c = await Client.connect(port, 'length32');
    c.send('{"early":1}');
    writeFileSync(gate, '');
    await refused;
    await c.waitEnd(10_000);
    assert.equal(c.raw.length, 0, 'no byte was sent to the held connection');
    assert.equal(c.replies.length, 0);
    delete process.env.DISPATCHER_TEST_GATE_FAIL;
  });
});
