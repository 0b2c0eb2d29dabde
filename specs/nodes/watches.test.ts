// Death watch across a link drop (real processes, real sockets): a watch of a peer's actor
// survives a drop that recovers before the peer is declared down (registered again on the new
// connection); an actor that stopped meanwhile is reported once, with its own reason; a peer
// that comes back as another process (restarted) ends the old watches with node-down at once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem, type RuntimeEvent } from '../../runtime/index.ts';
import type { EchoMsg } from '../runtime/fixtures/actors.ts';
import { Watcher, type WatcherMsg } from './fixtures/actors.ts';
import { startNodeProcess, startLocalNode, linked, waitFor, type NodeProcess } from './helpers.ts';

const procs: NodeProcess[] = [];
const systems: ActorSystem[] = [];
after(async () => {
  for (const s of systems) await s.stop();
  for (const p of procs) await p.stop();
});

type Seen = { path: string; reason: unknown }[];

function nodeEvents(sys: ActorSystem): { state: string; node: string }[] {
  const seen: { state: string; node: string }[] = [];
  sys.events.subscribe((ev: RuntimeEvent) => {
    if (ev.type === 'node') seen.push({ state: ev.state, node: ev.node });
  });
  return seen;
}

test('a watch survives a link drop that recovers in time; a stop meanwhile arrives once, with its reason', async () => {
  const b = await startNodeProcess({
    name: 'b',
    downAfterMs: 5000,
    actors: [
      { name: 'inbox', kind: 'Inbox' },
      { name: 'relay', kind: 'Relay' },
      { name: 'echo', kind: 'Echo' },
    ],
  });
  procs.push(b);
  const a = await startLocalNode('a', [{ name: 'b', url: b.url }], { heartbeatMs: 100, downAfterMs: 5000 });
  systems.push(a);
  await linked(a, 'b');
  const events = nodeEvents(a);
  const w = a.spawn(Watcher, { name: 'w', props: undefined, thread: 0 });
  await w.ask({ type: 'watch', target: a.node!.ref('b:/inbox') } satisfies WatcherMsg);
  await w.ask({ type: 'watch', target: a.node!.ref('b:/relay') } satisfies WatcherMsg);
  const echo = a.node!.ref<EchoMsg>('b:/echo');
  assert.equal(await echo.ask({ type: 'echo', value: 'before' }), 'before');

  // b drops the link and stops /relay while it is down; a redials (pause 0.05 s) well inside 5 s
  b.proc.send({ op: 'drop-and-stop', peer: 'a', path: '/relay', reason: { error: 'retired' } });
  const seen = await waitFor(async () => {
    const l = await w.ask<Seen>({ type: 'dump' });
    return l.length > 0 ? l : null;
  }, 'the termination of b:/relay');
  assert.deepEqual(seen, [{ path: 'b:/relay', reason: { error: 'retired' } }]);
  assert.deepEqual(
    events.filter((e) => e.node === 'b').map((e) => e.state),
    ['down', 'up'],
    'the link did drop and come back',
  );

  // The re-registered watch of the stopped actor is answered again by b ("no such actor"): an
  // ask sent after it returns after that answer (per-pair FIFO), and the watcher heard it once.
  assert.equal(await echo.ask({ type: 'echo', value: 'after' }), 'after');
  assert.deepEqual(await w.ask<Seen>({ type: 'dump' }), [{ path: 'b:/relay', reason: { error: 'retired' } }]);

  // the watch of b:/inbox was kept across the drop: its stop is heard with its own reason
  b.proc.send({ op: 'stop-actor', path: '/inbox', reason: 'normal' });
  await waitFor(async () => (await w.ask<Seen>({ type: 'dump' })).length === 2, 'the termination of b:/inbox');
  assert.deepEqual((await w.ask<Seen>({ type: 'dump' }))[1], { path: 'b:/inbox', reason: 'normal' });
});

test('a peer that comes back as another process ends the old watches with node-down at once', async () => {
  let b = await startNodeProcess({ name: 'b', actors: [{ name: 'inbox', kind: 'Inbox' }] });
  procs.push(b);
  // the grace is long: only the new node life (not a timer) can end the watch within the test
  const a = await startLocalNode('a', [{ name: 'b', url: b.url }], { heartbeatMs: 100, downAfterMs: 30_000 });
  systems.push(a);
  await linked(a, 'b');
  const w = a.spawn(Watcher, { name: 'w2', props: undefined, thread: 0 });
  await w.ask({ type: 'watch', target: a.node!.ref('b:/inbox') } satisfies WatcherMsg);
  const url = b.url;
  await b.kill9();
  // killed: the socket closed, but the peer is not declared down before 30 s
  await waitFor(() => a.node!.describe().peers.some((p) => p.name === 'b' && p.state !== 'up'), 'the link to b down');
  assert.deepEqual(await w.ask<Seen>({ type: 'dump' }), []);
  b = await startNodeProcess({ name: 'b', listen: url, actors: [{ name: 'inbox', kind: 'Inbox' }] });
  procs.push(b);
  const startedAt = performance.now();
  const seen = await waitFor(async () => {
    const l = await w.ask<Seen>({ type: 'dump' });
    return l.length > 0 ? l : null;
  }, 'node-down for b:/inbox', 10_000);
  assert.deepEqual(seen, [{ path: 'b:/inbox', reason: { error: 'node-down' } }]);
  assert.ok(performance.now() - startedAt < 10_000);
  await linked(a, 'b');
});

test('keepWatchesMs: 0 ends watches with node-down as soon as the link drops (for users that resend what was in flight)', async () => {
  const b = await startNodeProcess({ name: 'b', actors: [{ name: 'inbox', kind: 'Inbox' }] });
  procs.push(b);
  const a = await startLocalNode('a', [{ name: 'b', url: b.url }], { heartbeatMs: 100, downAfterMs: 30_000, keepWatchesMs: 0 });
  systems.push(a);
  await linked(a, 'b');
  const w = a.spawn(Watcher, { name: 'w3', props: undefined, thread: 0 });
  await w.ask({ type: 'watch', target: a.node!.ref('b:/inbox') } satisfies WatcherMsg);
  a.node!.disconnect('b');
  const seen = await waitFor(async () => {
    const l = await w.ask<Seen>({ type: 'dump' });
    return l.length > 0 ? l : null;
  }, 'node-down for b:/inbox');
  assert.deepEqual(seen, [{ path: 'b:/inbox', reason: { error: 'node-down' } }]);
  await linked(a, 'b');
});
