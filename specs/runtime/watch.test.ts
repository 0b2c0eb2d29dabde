// Death watch (same thread, across threads, on thread death, for actors still loading on a worker)
// and dead letters (counted in events and snapshots).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem, type ActorRef } from '../../runtime/index.ts';
import { Kid, Recorder, Sup, Watcher, type RecMsg, type SupMsg, type WatcherMsg } from './fixtures/actors.ts';
import { isPending, record, sleep, waitFor } from './helpers.ts';

const fixtures = new URL('./fixtures/actors.ts', import.meta.url).href;
const systems: ActorSystem[] = [];
after(async () => {
  await Promise.all(systems.map((s) => s.stop(2000)));
});
async function start(o: Parameters<typeof ActorSystem.start>[0]): Promise<ActorSystem> {
  const sys = await ActorSystem.start({ logLevel: 'silent', ...o });
  systems.push(sys);
  return sys;
}

type Seen = { path: string; reason: string; thread: number }[];
const seenBy = (w: ActorRef<WatcherMsg>): Promise<Seen> => w.ask<Seen>({ type: 'dump' });

test('watchers get terminated with the reason: normal stop, stop at the root after a crash, no such actor', async () => {
  const sys = await start({ threads: 0, supervisor: { maxRestarts: 0, withinMs: 60_000 } });
  const w = sys.spawn(Watcher, { name: 'w', props: undefined });
  const a = sys.spawn(Kid, { name: 'a', props: undefined });
  const b = sys.spawn(Kid, { name: 'b', props: undefined });
  await w.ask({ type: 'watch', target: a });
  await w.ask({ type: 'watch', target: b });
  await w.ask({ type: 'watch', target: sys.refFor('/nobody', -1) });
  await sys.stopActor(a);
  b.tell({ type: 'crash', why: 'kaput' });
  const seen = await waitFor(async () => {
    const s = await seenBy(w);
    return s.length === 3 ? s : null;
  }, 'three terminations');
  const by = new Map(seen.map((s) => [s.path, s.reason]));
  assert.equal(by.get('/nobody'), 'error: no such actor');
  assert.equal(by.get('/a'), 'normal');
  assert.match(by.get('/b')!, /^error: .*\/b exceeded 0 restarts.*kaput/);
});

test('a restart is not a termination: watchers hear nothing until the actor really stops', async () => {
  const sys = await start({ threads: 0 });
  const w = sys.spawn(Watcher, { name: 'w', props: undefined });
  const a = sys.spawn(Kid, { name: 'a', props: undefined });
  await w.ask({ type: 'watch', target: a });
  a.tell({ type: 'crash', why: 'once' });
  assert.equal(await a.ask({ type: 'restarts' }), 1);
  await sleep(20);
  assert.deepEqual(await seenBy(w), []);
  await sys.stopActor(a);
  await waitFor(async () => (await seenBy(w)).length === 1, 'one termination');
});

test('death watch across threads (watcher on worker 0, target on worker 1) and on thread death', async () => {
  const sys = await start({ threads: 2, preload: [fixtures] });
  const w = sys.spawn(Watcher, { name: 'w', props: undefined, thread: 0 });
  const wMain = sys.spawn(Watcher, { name: 'wm', props: undefined, thread: 'main' });
  const a = sys.spawn(Kid, { name: 'a', props: undefined, thread: 1 });
  const b = sys.spawn(Kid, { name: 'b', props: undefined, thread: 1 });
  assert.equal(a.thread, 1);
  await a.ask({ type: 'restarts' });
  await w.ask({ type: 'watch', target: a, confirm: true });
  await wMain.ask({ type: 'watch', target: b, confirm: true });
  await sys.stopActor(a);
  const s1 = await waitFor(async () => {
    const s = await seenBy(w);
    return s.length === 1 ? s : null;
  }, 'termination across threads');
  assert.deepEqual(s1, [{ path: '/a', reason: 'normal', thread: 1 }]);
  await sys.killThread(1);
  const s2 = await waitFor(async () => {
    const s = await seenBy(wMain);
    return s.length >= 1 ? s : null;
  }, 'termination on thread death');
  assert.equal(s2[0].path, '/b');
  assert.equal(s2[0].reason, 'error: thread 1 died');
});

test('dead letters are counted: events, snapshot totals and per-thread counts', async () => {
  const sys = await start({ threads: 1, preload: [fixtures] });
  const ev = record(sys);
  const a = sys.spawn(Kid, { name: 'a', props: undefined });
  await sys.stopActor(a);
  assert.equal(a.tell({ type: 'restarts' }), false, 'a tell to a stopped local actor is refused');
  const ghost = sys.refFor<RecMsg>('/ghost', 0);
  assert.equal(ghost.tell({ type: 'rec', from: 0, seq: 0 }), true, 'cross-thread: refused later');
  ghost.tell({ type: 'rec', from: 0, seq: 1 });
  await waitFor(() => ev.of('dead-letter', '/ghost').reduce((n, e) => n + (e as { count: number }).count, 0) === 2, 'two dead letters from thread 0');
  const local = ev.of('dead-letter', '/a');
  assert.equal(local.length, 1);
  assert.equal((local[0] as { reason: string }).reason, 'no such actor');
  const snap = await sys.snapshot();
  assert.equal(snap.counts.deadLetters, 3);
  assert.equal(snap.threads.find((t) => t.thread === -1)!.deadLetters, 1);
  assert.equal(snap.threads.find((t) => t.thread === 0)!.deadLetters, 2);
  ev.stop();
});

test('mail queued for an actor when it stops becomes dead letters; its queued asks fail with actor-dead', async () => {
  const sys = await start({ threads: 0 });
  const ev = record(sys);
  const sup = sys.spawn(Sup, { name: 's', props: { kids: [{ name: 'k', disabled: true }] } });
  const [k] = await sup.ask<{ path: string; thread: number }[]>({ type: 'children' });
  const kid = sys.refFor<import('./fixtures/actors.ts').KidMsg>(k.path, k.thread);
  kid.tell({ type: 'restarts' });
  kid.tell({ type: 'restarts' });
  const asked = kid.ask({ type: 'restarts' }, { timeoutMs: 3000 });
  await sup.ask({ type: 'stop-child', name: 'k' } as SupMsg);
  await assert.rejects(asked, { code: 'actor-dead' });
  await waitFor(() => ev.of('dead-letter', k.path).length > 0, 'dead letters');
  assert.equal((ev.of('dead-letter', k.path)[0] as { count: number }).count, 3);
  ev.stop();
});

test('Recorder fixture sanity on main', async () => {
  const sys = await start({ threads: 0 });
  const r = sys.spawn(Recorder, { name: 'r', props: undefined });
  r.tell({ type: 'rec', from: 1, seq: 2 });
  assert.deepEqual(await r.ask({ type: 'dump' }), [{ from: 1, seq: 2 }]);
});
