// A node that stops answering (SIGSTOP) is declared down by heartbeats; a node that reads slowly
// holds its senders back through the link's buffered bytes (tell returns false, writable() waits).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem } from '../../runtime/index.ts';
import { Watcher, Pusher, type WatcherMsg } from './fixtures/actors.ts';
import { startNodeProcess, startLocalNode, linked, waitFor, rejectionCode, type NodeProcess } from './helpers.ts';

const procs: NodeProcess[] = [];
const systems: ActorSystem[] = [];
after(async () => {
  for (const s of systems) await s.stop();
  for (const p of procs) {
    p.proc.kill('SIGCONT');
    await p.stop();
  }
});

test('a silent node is down within the heartbeat window; the link comes back when it answers again', async () => {
  const b = await startNodeProcess({ name: 'b', actors: [{ name: 'inbox', kind: 'Inbox' }, { name: 'echo', kind: 'Echo' }] });
  procs.push(b);
  const a = await startLocalNode('a', [{ name: 'b', url: b.url }], { heartbeatMs: 100, downAfterMs: 500 });
  systems.push(a);
  await linked(a, 'b');
  const w = a.spawn(Watcher, { name: 'w', props: undefined, thread: 0 });
  await w.ask({ type: 'watch', target: a.node!.ref('b:/inbox') } satisfies WatcherMsg);
  const pending = rejectionCode(a.node!.ref('b:/echo').ask({ type: 'slow', ms: 5000 }, { timeoutMs: 20_000 }));
  b.proc.kill('SIGSTOP');
  const stoppedAt = performance.now();
  assert.equal(await pending, 'node-down');
  const took = performance.now() - stoppedAt;
  assert.ok(took < 3000, `declared down after ${Math.round(took)} ms`);
  await waitFor(async () => (await w.ask<{ path: string; reason: unknown }[]>({ type: 'dump' })).some((t) => t.path === 'b:/inbox'), 'node-down for b:/inbox');
  b.proc.kill('SIGCONT');
  await linked(a, 'b');
  assert.equal(await a.node!.ref('b:/echo').ask({ type: 'echo', value: 'back' }), 'back');
});

test('backpressure: over the high-water mark tell returns false and writable() waits for the socket to drain', async () => {
  const b = await startNodeProcess({ name: 'b', actors: [{ name: 'inbox', kind: 'Inbox' }] });
  procs.push(b);
  const a = await startLocalNode('a', [{ name: 'b', url: b.url }], { heartbeatMs: 100, downAfterMs: 60_000, highWaterBytes: 64 * 1024 }, 0);
  systems.push(a);
  await linked(a, 'b');
  const inbox = a.node!.ref<unknown>('b:/inbox');
  b.proc.kill('SIGSTOP');
  const chunk = 'x'.repeat(16 * 1024);
  let sent = 0;
  // Each turn's mail leaves as one frame; keep telling (one tell per turn) until the link pushes back.
  for (let i = 0; i < 10_000; i++) {
    const ok = inbox.tell({ i, chunk });
    sent++;
    if (!ok) break;
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(sent < 10_000, 'tell returned false once the socket buffer was over the mark');
  let drained = false;
  const writable = inbox.writable().then(() => (drained = true));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(drained, false, 'writable() waits while the peer does not read');
  b.proc.kill('SIGCONT');
  await writable;
  // every message accepted before the push-back arrives (nothing lost without a failure)
  let got = 0;
  await waitFor(async () => (got += (await inbox.ask<unknown[]>({ type: 'dump' }, { timeoutMs: 10_000 })).length) === sent, `${sent} messages at b`, 20_000, 50);
});

test('backpressure reaches senders on worker threads: tell returns false there and writable() waits', async () => {
  const b = await startNodeProcess({ name: 'b', actors: [{ name: 'inbox', kind: 'Inbox' }] });
  procs.push(b);
  const a = await startLocalNode('a', [{ name: 'b', url: b.url }], { heartbeatMs: 100, downAfterMs: 60_000, highWaterBytes: 64 * 1024 }, 1);
  systems.push(a);
  await linked(a, 'b');
  const inbox = a.node!.ref<unknown>('b:/inbox');
  const pusher = a.spawn(Pusher, { name: 'pusher', props: undefined, thread: 0 });
  b.proc.kill('SIGSTOP');
  const sent = await pusher.ask<number>({ type: 'push', target: inbox, max: 10_000 }, { timeoutMs: 30_000 });
  assert.ok(sent < 10_000, `the worker's tell returned false after ${sent} messages`);
  let ready = false;
  const w = pusher.ask({ type: 'wait', target: inbox }, { timeoutMs: 30_000 }).then((v) => (ready = v === 'writable'));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(ready, false, 'writable() on the worker waits while the peer does not read');
  b.proc.kill('SIGCONT');
  await w;
  assert.equal(ready, true);
  // The hold-back signal reaches the worker a turn or two late; what overshot the hard cap
  // (8x the mark) was refused as dead letters here. Nothing vanished silently.
  let got = 0;
  await waitFor(
    async () => {
      got += (await inbox.ask<unknown[]>({ type: 'dump' }, { timeoutMs: 10_000 })).length;
      return got > 0 && got + (await a.snapshot()).counts.deadLetters === sent;
    },
    `${sent} messages at b or refused here`,
    20_000,
    50,
  );
});
