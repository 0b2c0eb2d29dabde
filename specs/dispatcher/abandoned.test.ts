// The `abandoned` counter (dispatcher.md §6.2 step 5, issue 11): the requests the dispatcher had
// read whole and that never got their handler's outcome because the drain deadline (StopTimeout)
// closed their connection. That is: every request in flight then (it has a seq, whether still
// queued or at a handler), which gets SHUTDOWN, plus every complete frame the in-flight limit was
// still holding without a seq (dropped unanswered). Not counted: requests answered before the
// deadline, and requests of a peer that left before it (the peer abandoned those, not us).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, freePort, startHarness, tmpDir } from './helpers.ts';

const handlers = new URL('./fixtures/handlers.ts', import.meta.url).pathname;

describe('abandoned', () => {
  it('counts exactly the requests cut off by the drain deadline: SHUTDOWN replies plus held frames', async () => {
    const port = await freePort();
    const h = await startHarness([
      {
        Name: 'ab',
        IP: '127.0.0.1',
        Port: port,
        NumThreads: 2,
        StopTimeout: 1,
        LogLevel: 0,
        Allow: ['127.0.0.1'],
        MaxInFlightPerConnection: 2,
        Framing: 'length32',
        Protocol: 'json',
        Handler: { Kind: 'module', Module: handlers, Export: 'sleep', Concurrency: 16 },
        Workers: { Min: 1, Max: 1 },
        LockFile: `${tmpDir()}/ab.lock`,
      },
    ]);
    try {
      const long = JSON.stringify({ ms: 30_000 });
      const [a, b, c, d, e] = await Promise.all([0, 1, 2, 3, 4].map(() => Client.connect(port, 'length32')));
      for (let i = 0; i < 4; i++) a.send(long); // 2 in flight (the limit), 2 held without a seq
      b.send(long); // 1 in flight
      c.send(JSON.stringify({ ms: 0 })); // answered before the deadline
      e.send(long); // in flight, then the peer leaves
      // d stays idle.
      await c.reply(1, 5000);
      const frames = async (): Promise<number> => (await h.view('ab')).counters.frames;
      for (let i = 0; i < 400 && (await frames()) < 7; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(await frames(), 7, 'every frame reached the dispatcher');
      e.reset();
      for (let i = 0; i < 400 && (await h.view('ab')).gauges.liveConnections > 4; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal((await h.view('ab')).gauges.liveConnections, 4, 'the peer that left was seen leaving');

      const result = await h.section.supervisor('ab').ask<{ abandoned: number; open: number }>({ t: 'drain' }, { timeoutMs: 10_000 });
      await Promise.all([a, b, c, d].map((x) => x.waitEnd(5000)));
      const codes = (x: Client): string[] => x.replies.map((r) => JSON.parse(r).error?.code ?? 'ok');
      assert.deepEqual(codes(a), ['SHUTDOWN', 'SHUTDOWN'], 'the two in flight got SHUTDOWN; the two held got nothing');
      assert.deepEqual(codes(b), ['SHUTDOWN']);
      assert.deepEqual(codes(c), ['ok']);
      assert.deepEqual(codes(d), []);
      assert.equal(result.abandoned, 2 + 2 + 1, 'SHUTDOWN replies (3) plus held frames (2)');
      assert.equal(result.open, 0);
      assert.equal((await h.view('ab')).counters.abandoned, 5);
    } finally {
      await h.stop();
    }
  });
});
