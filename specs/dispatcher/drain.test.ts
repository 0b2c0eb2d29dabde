// Property P5 (dispatcher.md §9.1): for any in-flight durations, every request shorter than
// StopTimeout is answered, the others get SHUTDOWN, and the drain plus the stop end within
// StopTimeout + 2 s. Each run starts a dispatcher (module handler sleeping `ms`, StopTimeout 1 s),
// puts requests in flight on a few connections, then drains and stops the system.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Client, freePort, sleep, startHarness, tmpDir } from './helpers.ts';

const handlers = new URL('./fixtures/handlers.ts', import.meta.url).pathname;
const STOP_S = 1;
const MARGIN_MS = 250; // scheduling slack around the deadline

describe('P5: drain', () => {
  it('requests shorter than StopTimeout are answered; exit ≤ StopTimeout + 2 s', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.integer({ min: 0, max: 1800 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }), async (perConn) => {
        const port = await freePort();
        const h = await startHarness([
          {
            Name: 'p5',
            IP: '127.0.0.1',
            Port: port,
            NumThreads: 2,
            StopTimeout: STOP_S,
            LogLevel: 0,
            Allow: ['127.0.0.1'],
            Handler: { Kind: 'module', Module: handlers, Export: 'sleep', Concurrency: 64 },
            LockFile: `${tmpDir()}/p5.lock`,
          },
        ]);
        const clients = await Promise.all(perConn.map(() => Client.connect(port, 'length32')));
        const sentAt = Date.now();
        perConn.forEach((ms, i) => ms.forEach((d) => clients[i].send(JSON.stringify({ ms: d }))));
        // Drain stops reading, so a request still in the kernel's buffer is not in flight: wait
        // until the dispatcher has read every frame (a fixed sleep was too short on a loaded CI).
        const total = perConn.flat().length;
        for (let i = 0; i < 200 && (await h.view('p5')).counters.frames < total; i++) await sleep(5);
        assert.equal((await h.view('p5')).counters.frames, total, 'every request reached the dispatcher');
        const t0 = Date.now();
        await h.stop();
        const took = Date.now() - t0;
        assert.ok(took <= STOP_S * 1000 + 2000, `drain + stop took ${took} ms`);
        await Promise.all(clients.map((c) => c.waitEnd(1000).catch(() => undefined)));
        const deadline = t0 + STOP_S * 1000;
        perConn.forEach((ms, i) => {
          const got = clients[i].replies.map((r) => JSON.parse(r));
          // replies are in order; each request is answered with its echo or SHUTDOWN
          ms.forEach((d, k) => {
            // each request started between sentAt and t0 (all were read by t0)
            const r = got[k];
            if (t0 + d < deadline - MARGIN_MS) assert.deepEqual(r, { ms: d }, `a ${d} ms request must be answered (got ${JSON.stringify(got)}, stop took ${took} ms)`);
            else if (sentAt + d > deadline + MARGIN_MS) assert.equal(r?.error?.code ?? 'none', 'SHUTDOWN', `a ${d} ms request outlives the drain`);
          });
          // every request got exactly one reply, in seq order (echo or SHUTDOWN)
          assert.equal(got.length, ms.length);
          got.forEach((r, k) => assert.ok(r.error?.code === 'SHUTDOWN' || r.ms === ms[k]));
        });
        for (const c of clients) c.close();
      }),
      { numRuns: 6, endOnFailure: true }, // no shrinking: each run takes seconds
    );
  });
});
