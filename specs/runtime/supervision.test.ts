// Supervision examples: backoff, intensity windows, stop hooks and their order, restarts of
// children on worker threads, escalation across threads, and restarts of a busy (async) actor.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem, type ActorRef } from '../../runtime/index.ts';
import { Kid, Log, Sup, localHooks, type KidMsg, type KidSpec, type LogEntry, type SupMsg } from './fixtures/actors.ts';
import { record, rejectionCode, settle, sleep, waitFor, whenSpawned } from './helpers.ts';

const fixtures = new URL('./fixtures/actors.ts', import.meta.url).href;
const systems: ActorSystem[] = [];
after(async () => {
  await Promise.all(systems.map((s) => s.stop(2000)));
});
async function start(threads: number, supervisor?: Parameters<typeof ActorSystem.start>[0] extends infer O ? (O extends { supervisor?: infer S } ? S : never) : never): Promise<ActorSystem> {
  const sys = await ActorSystem.start({ threads, logLevel: 'silent', supervisor, preload: threads > 0 ? [fixtures] : [] });
  systems.push(sys);
  return sys;
}

async function kidsOf(sup: ActorRef<SupMsg>, sys: ActorSystem): Promise<ActorRef<KidMsg>[]> {
  const refs = await sup.ask<{ path: string; thread: number }[]>({ type: 'children' });
  return refs.map((r) => sys.refFor<KidMsg>(r.path, r.thread));
}

test('backoff delays each restart by about minMs, doubling within the window', async () => {
  const sys = await start(0);
  const ev = record(sys);
  const sup = sys.spawn(Sup, {
    name: 'backoff',
    props: { kids: [{ name: 'k' }] },
    supervisor: { maxRestarts: 5, withinMs: 10_000, backoff: { minMs: 120, maxMs: 1000, jitter: 0 } },
  });
  const [kid] = await kidsOf(sup, sys);
  const delays: number[] = [];
  for (let i = 1; i <= 2; i++) {
    kid.tell({ type: 'crash', why: `c${i}` });
    const crash = await waitFor(() => ev.of('crash', kid.path)[i - 1], `crash ${i}`);
    const restart = await waitFor(() => ev.of('restart', kid.path)[i - 1], `restart ${i}`);
    delays.push(restart.at - crash.at);
  }
  assert.ok(delays[0] >= 110 && delays[0] < 600, `first restart after ~120 ms, took ${delays[0]}`);
  assert.ok(delays[1] >= 230 && delays[1] < 900, `second restart after ~240 ms, took ${delays[1]}`);
  assert.equal(await kid.ask({ type: 'restarts' }), 2);
  ev.stop();
});

test('without backoff the restart is immediate, and the failing message is not redelivered', async () => {
  const sys = await start(0);
  const sup = sys.spawn(Sup, { name: 'nob', props: { kids: [{ name: 'k' }] } });
  const [kid] = await kidsOf(sup, sys);
  kid.tell({ type: 'crash', why: 'x' });
  const t0 = performance.now();
  assert.equal(await kid.ask({ type: 'restarts' }), 1, 'mail queued behind the crash is kept and handled after the restart');
  assert.ok(performance.now() - t0 < 100);
});

test('restarts older than withinMs leave the window: no escalation', async () => {
  const sys = await start(0);
  const ev = record(sys);
  const sup = sys.spawn(Sup, { name: 'win', props: { kids: [{ name: 'k' }] }, supervisor: { maxRestarts: 1, withinMs: 150 } });
  const [kid] = await kidsOf(sup, sys);
  kid.tell({ type: 'crash', why: 'a' });
  assert.equal(await kid.ask({ type: 'restarts' }), 1);
  await sleep(220);
  kid.tell({ type: 'crash', why: 'b' });
  assert.equal(await kid.ask({ type: 'restarts' }), 2, 'second failure, outside the window: restarted');
  assert.equal(ev.of('escalate').length, 0);
  kid.tell({ type: 'crash', why: 'c' });
  await settle();
  assert.equal(ev.of('escalate', sup.path).length, 1, 'third failure within 150 ms of the second: escalated');
  assert.equal(await sup.ask({ type: 'restarts' }), 1, 'the root restarted the escalating supervisor');
  ev.stop();
});

test('stop hooks run on stop, on restart and on crash; children stop before their parent', async () => {
  const sys = await start(0);
  localHooks.length = 0;
  const inner: KidSpec = { name: 'inner', kind: 'Sup', props: { kids: [{ name: 'leaf1' }, { name: 'leaf2' }] } };
  const top = sys.spawn(Sup, { name: 'top', props: { kids: [inner, { name: 'k' }] } });
  const [, kid] = await kidsOf(top, sys);
  kid.tell({ type: 'crash', why: 'boom' });
  assert.equal(await kid.ask({ type: 'restarts' }), 1);
  const onCrash = localHooks.filter((h) => h.what === 'stopped' && h.path === '/top/k');
  assert.deepEqual(onCrash.map((h) => h.reason), ['error: boom'], 'the crashed incarnation’s stop hook ran, with the reason');
  localHooks.length = 0;
  assert.equal(await sys.stopActor(top), 'normal');
  const order = localHooks.filter((h) => h.what === 'stopped').map((h) => h.path);
  assert.deepEqual(new Set(order), new Set(['/top', '/top/inner', '/top/inner/leaf1', '/top/inner/leaf2', '/top/k']));
  const pos = (p: string): number => order.indexOf(p);
  for (const p of order) {
    const parent = p.slice(0, p.lastIndexOf('/'));
    if (parent !== '') assert.ok(pos(p) < pos(parent), `${p} stopped before ${parent}: ${order.join(', ')}`);
  }
  assert.equal(localHooks.find((h) => h.path === '/top/inner/leaf1')!.reason, 'shutdown', 'children are stopped with reason shutdown');
  assert.equal(localHooks.find((h) => h.path === '/top')!.reason, 'normal');
});

test('children on worker threads: one-for-all restarts siblings on other threads; stop order holds across threads', async () => {
  const sys = await start(2);
  const ev = record(sys);
  const sup = sys.spawn(Sup, {
    name: 'ofa',
    props: { kids: [{ name: 'a', thread: 0 }, { name: 'b', thread: 1 }, { name: 'c', thread: 'main' }] },
    supervisor: { strategy: 'one-for-all' },
  });
  const kids = await kidsOf(sup, sys);
  assert.deepEqual(kids.map((k) => k.thread), [0, 1, -1]);
  kids[1].tell({ type: 'crash', why: 'on t1' });
  const counts = await waitFor(async () => {
    const c = await Promise.all(kids.map((k) => k.ask<number>({ type: 'restarts' })));
    return c.every((n) => n === 1) ? c : null;
  }, 'all three restarted once');
  assert.deepEqual(counts, [1, 1, 1]);
  const wheres = await Promise.all(kids.map((k) => k.ask<{ thread: number }>({ type: 'where' })));
  assert.deepEqual(wheres.map((w) => w.thread), [0, 1, -1], 'restarted in place');
  await sys.stopActor(sup);
  const stops = ev.list.filter((e) => e.type === 'stop').map((e) => (e as { path: string }).path);
  assert.ok(stops.indexOf('/ofa') > Math.max(stops.indexOf('/ofa/a'), stops.indexOf('/ofa/b'), stops.indexOf('/ofa/c')), stops.join(', '));
  ev.stop();
});

test('rest-for-one with the supervisor on a worker: the failed child and the younger ones restart', async () => {
  const sys = await start(2);
  const top = sys.spawn(Sup, {
    name: 'top',
    thread: 1,
    props: { kids: [{ name: 'mid', kind: 'Sup', thread: 1, supervisor: { strategy: 'rest-for-one' }, props: { kids: [{ name: 'a', thread: 0 }, { name: 'b', thread: 'main' }, { name: 'c', thread: 1 }] } }] },
  });
  const [mid] = await kidsOf(top, sys);
  const kids = await kidsOf(mid as unknown as ActorRef<SupMsg>, sys);
  await whenSpawned(sys, '/top/mid/a'); // spawned from worker 1 onto worker 0
  kids[1].tell({ type: 'crash', why: 'b fails' });
  const counts = await waitFor(async () => {
    const c = await Promise.all(kids.map((k) => k.ask<number>({ type: 'restarts' })));
    return c[1] === 1 && c[2] === 1 ? c : null;
  }, 'b and c restarted');
  assert.deepEqual(counts, [0, 1, 1]);
});

test('escalation across threads: a supervisor on a worker that exceeds its intensity is restarted by its parent', async () => {
  const sys = await start(2);
  const ev = record(sys);
  const sup = sys.spawn(Sup, { name: 'esc', thread: 1, props: { kids: [{ name: 'k', thread: 0 }] }, supervisor: { maxRestarts: 0, withinMs: 5000 } });
  const [kid] = await kidsOf(sup, sys);
  await whenSpawned(sys, kid.path);
  kid.tell({ type: 'crash', why: 'once is too many' });
  await waitFor(() => ev.of('restart', '/esc').length === 1, 'the supervisor restarted');
  assert.equal(ev.of('escalate', '/esc').length, 1);
  assert.match((ev.of('escalate', '/esc')[0] as { reason: string }).reason, /\/esc\/k exceeded 0 restarts in 5000 ms: once is too many/);
  const fresh = await waitFor(async () => (await kid.ask<number>({ type: 'restarts' }).catch(() => null)) === 0, 'a fresh child');
  assert.ok(fresh);
  assert.equal(await sup.ask({ type: 'restarts' }), 1);
  ev.stop();
});

test('a child restarted while an async handler is pending starts fresh, and the stale handler cannot crash it', async () => {
  const sys = await start(0);
  const ev = record(sys);
  const sup = sys.spawn(Sup, { name: 'busy', props: { kids: [{ name: 'a' }, { name: 'b' }] }, supervisor: { strategy: 'one-for-all' } });
  const [a, b] = await kidsOf(sup, sys);
  const pending = a.ask({ type: 'async', ms: 150, fail: true }, { timeoutMs: 3000 });
  pending.catch(() => {});
  await settle();
  b.tell({ type: 'crash', why: 'sibling' });
  const t0 = performance.now();
  assert.equal(await a.ask({ type: 'restarts' }, { timeoutMs: 1000 }), 1, 'the new incarnation handles mail at once');
  assert.ok(performance.now() - t0 < 100, 'not held by the previous incarnation’s pending promise');
  assert.equal(await rejectionCode(pending), 'actor-dead', 'the ask of the previous incarnation fails with actor-dead');
  await sleep(200);
  assert.equal(ev.of('crash', a.path).length, 0, 'the stale rejection is not a crash of the new incarnation');
  assert.equal(await a.ask({ type: 'restarts' }), 1);
  ev.stop();
});

test('an ask deferred by an actor that is restarted fails with actor-dead', async () => {
  const sys = await start(0);
  const sup = sys.spawn(Sup, { name: 'defer', props: { kids: [{ name: 'a' }, { name: 'b' }] }, supervisor: { strategy: 'one-for-all' } });
  const [a, b] = await kidsOf(sup, sys);
  const held = a.ask({ type: 'hold' }, { timeoutMs: 2000 });
  await settle();
  b.tell({ type: 'crash', why: 'sibling' });
  assert.equal(await rejectionCode(held), 'actor-dead');
});

test('hooks on worker threads report through a log actor, in order (stop of a subtree spread over threads)', async () => {
  const sys = await start(2);
  const log = sys.spawn(Log, { name: 'log', props: undefined });
  const top = sys.spawn(Sup, {
    name: 'spread',
    thread: 0,
    props: { log, kids: [{ name: 'x', thread: 1, kind: 'Sup', props: { log, kids: [{ name: 'y', thread: 'main', props: { log } }] } }] },
  });
  await kidsOf(top, sys);
  await waitFor(async () => (await log.ask<LogEntry[]>({ type: 'dump' })).filter((e) => e.what === 'started').length === 3, 'three started');
  await sys.stopActor(top);
  const entries = await waitFor(async () => {
    const d = (await log.ask<LogEntry[]>({ type: 'dump' })).filter((e) => e.what === 'stopped');
    return d.length === 3 ? d : null;
  }, 'three stop hooks');
  // Reports from different threads may reach the log in any order: order them by when the hooks ran.
  const byTime = [...entries].sort((p, q) => p.at! - q.at!);
  assert.deepEqual(byTime.map((e) => e.path), ['/spread/x/y', '/spread/x', '/spread'], 'children’s stop hooks ran before their parent’s');
  assert.deepEqual(byTime.map((e) => e.thread), [-1, 1, 0]);
});

test('Kid fixture sanity: an unsupervised crash at the root with default intensity restarts', async () => {
  const sys = await start(0);
  const kid = sys.spawn(Kid, { name: 'solo', props: undefined });
  kid.tell({ type: 'crash', why: 'x' });
  assert.equal(await kid.ask({ type: 'restarts' }), 1);
});
