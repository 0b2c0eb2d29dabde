// Fault injection (issue 11, rows "200 clients each send one byte per second" and "a module
// handler returns 10 MiB"): a frame must complete within FrameTimeoutMs of its first byte, so a
// trickle cannot hold the slots; a reply over MaxFrameBytes becomes an error reply.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, freePort, startHarness, tmpDir } from '../dispatcher/helpers.ts';

const handlers = new URL('../dispatcher/fixtures/handlers.ts', import.meta.url).pathname;

function jsonEntry(port: number, over: Record<string, unknown> = {}) {
  return {
    Name: 'd1', IP: '127.0.0.1', Port: port, NumThreads: 2, StopTimeout: 1, LogLevel: 1, Allow: ['127.0.0.1'], Framing: 'length32' as const,
    Protocol: 'json' as const, Handler: { Kind: 'module' as const, Module: handlers, Export: 'big' }, ...over,
  };
}

describe('faults: slow and greedy clients', () => {
  it('trickling clients that fill every slot are closed at FrameTimeoutMs; a real client is then served', async () => {
    const port = await freePort();
    const h = await startHarness([jsonEntry(port, { MaxConnections: 6, FrameTimeoutMs: 600, IdleTimeoutMs: 0, Handler: { Kind: 'module', Module: handlers, Export: 'echo' } })], { dir: tmpDir() });
    const tricklers: Client[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      // Each announces a 1000-byte frame and then sends one byte every 100 ms.
      for (let i = 0; i < 6; i++) {
        const c = await Client.connect(port, 'length32');
        c.sendRaw(Buffer.from([0, 0, 3, 232]));
        timers.push(setInterval(() => !c.closed && c.sendRaw('x'), 100));
        tricklers.push(c);
      }
      await tricklers[0].until(() => tricklers.every((c) => c.ended || c.closed), 5000, 'every trickler closed');
      const v = await h.view();
      assert.equal(v.counters.frameTimeouts, 6, JSON.stringify(v.counters));
      const real = await Client.connect(port, 'length32');
      real.send('{"hello":1}');
      assert.deepEqual(JSON.parse((await real.reply(1))[0]), { hello: 1 });
      real.close();
    } finally {
      for (const t of timers) clearInterval(t);
      for (const c of tricklers) c.close();
      await h.stop();
    }
  });

  it('a frame that completes in time is served however slowly its bytes come (within the limit)', async () => {
    const port = await freePort();
    const h = await startHarness([jsonEntry(port, { FrameTimeoutMs: 3000, Handler: { Kind: 'module', Module: handlers, Export: 'echo' } })], { dir: tmpDir() });
    try {
      const c = await Client.connect(port, 'length32');
      const body = Buffer.from('{"slow":true}');
      const frame = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
      for (const b of frame) {
        c.sendRaw(Buffer.from([b]));
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(JSON.parse((await c.reply(1))[0]), { slow: true });
      c.close();
    } finally {
      await h.stop();
    }
  });

  it('a reply over MaxFrameBytes (10 MiB) becomes WORKER_FAILED; the connection goes on', async () => {
    const port = await freePort();
    const h = await startHarness([jsonEntry(port, { MaxFrameBytes: 65536 })], { dir: tmpDir() });
    try {
      const c = await Client.connect(port, 'length32');
      c.send(JSON.stringify({ bytes: 10 * 1024 * 1024 }));
      const [r] = await c.reply(1, 10_000);
      assert.ok(r.length < 1000, `a reply of ${r.length} bytes was sent`);
      assert.match(r, /WORKER_FAILED/);
      assert.match(r, /over MaxFrameBytes/);
      c.send(JSON.stringify({ bytes: 10 }));
      assert.deepEqual(JSON.parse((await c.reply(2))[1]), { data: 'x'.repeat(10) });
      assert.equal((await h.view()).counters.oversizeReplies, 1);
      c.close();
    } finally {
      await h.stop();
    }
  });
});
