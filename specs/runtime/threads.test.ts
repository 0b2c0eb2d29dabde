// A worker thread that dies is a supervised failure: its actors are spawned again on the
// replacement thread per their parent's strategy, asks to them reject with thread-died, watchers
// hear of it, and asks work again afterwards.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem, type ActorRef } from '../../runtime/index.ts';
import { Asker, Sup, type AskerMsg, type KidMsg, type SupMsg } from './fixtures/actors.ts';
import { record, rejectionCode, waitFor, whenSpawned } from './helpers.ts';

const fixtures = new URL('./fixtures/actors.ts', import.meta.url).href;
const systems: ActorSystem[] = [];
after(async () => {
  await Promise.all(systems.map((s) => s.stop(3000)));
});
async function start(): Promise<ActorSystem> {
  const sys = await ActorSystem.start({ threads: 2, logLevel: 'silent', preload: [fixtures] });
  systems.push(sys);
  return sys;
}
async function kidsOf(sys: ActorSystem, sup: ActorRef<SupMsg>): Promise<ActorRef<KidMsg>[]> {
  const refs = await sup.ask<{ path: string; thread: number }[]>({ type: 'children' });
  return refs.map((r) => sys.refFor<KidMsg>(r.path, r.thread));
}
const answers = async (k: ActorRef<KidMsg>): Promise<boolean> => (await k.ask<{ thread: number }>({ type: 'where' }, { timeoutMs: 500 }).catch(() => null)) !== null;

test('killing a worker: its actors are spawned again there, asks reject with thread-died, then work again', async () => {
  const sys = await start();
  const ev = record(sys);
  const sup = sys.spawn(Sup, { name: 's', props: { kids: [{ name: 'a', thread: 0 }, { name: 'b', thread: 1 }, { name: 'c', thread: 'main' }] } });
  const [a, b, c] = await kidsOf(sys, sup);
  assert.ok(await answers(a));
  const pending = a.ask({ type: 'hold' }, { timeoutMs: 5000 });
  const asker = sys.spawn(Asker, { name: 'asker', props: undefined, thread: 1 });
  const fromWorker = asker.ask({ type: 'ask', target: a, msg: { type: 'hold' }, timeoutMs: 5000 } as AskerMsg, { timeoutMs: 6000 });
  await waitFor(() => ev.of('spawn', '/asker').length === 1, 'asker started');
  await a.ask({ type: 'where' }); // both holds are in place
  const t0 = performance.now();
  const mark = ev.list.length;
  await sys.killThread(0);
  assert.equal(await rejectionCode(pending), 'thread-died', 'an ask from main to the dead thread');
  assert.deepEqual(await fromWorker, { code: 'thread-died' }, 'an ask from another worker to the dead thread');
  assert.ok(performance.now() - t0 < 3000);
  await waitFor(() => ev.of('thread-died').length === 1 && ev.of('thread-started').length === 1, 'thread replaced');
  await waitFor(() => ev.of('spawn', '/s/a', mark).length === 1, '/s/a spawned again');
  assert.equal((ev.of('spawn', '/s/a', mark)[0] as { thread: number }).thread, 0, 'on the replacement worker 0');
  await waitFor(() => answers(a), '/s/a answers again');
  // A respawn after a thread death counts as a restart, with a restart event naming the cause.
  assert.deepEqual(await a.ask({ type: 'where' }), { path: '/s/a', thread: 0, restarts: 1 });
  assert.match((ev.of('restart', '/s/a', mark)[0] as { reason: string }).reason, /thread 0 died/);
  // One-for-one: the siblings on other threads were left alone.
  assert.equal(await b.ask({ type: 'restarts' }), 0);
  assert.equal(await c.ask({ type: 'restarts' }), 0);
  assert.equal(ev.of('spawn', '/s/b', mark).length + ev.of('spawn', '/s/c', mark).length, 0);
  const snap = await sys.snapshot();
  assert.equal(snap.counts.threadDied, 1);
  assert.deepEqual(snap.actors.filter((x) => x.path.startsWith('/s/')).map((x) => [x.path, x.thread, x.state]), [
    ['/s/a', 0, 'running'],
    ['/s/b', 1, 'running'],
    ['/s/c', -1, 'running'],
  ]);
  ev.stop();
});

test('killing a worker under one-for-all restarts the siblings on the other threads too', async () => {
  const sys = await start();
  const ev = record(sys);
  const sup = sys.spawn(Sup, { name: 's', props: { kids: [{ name: 'a', thread: 0 }, { name: 'b', thread: 1 }, { name: 'c', thread: 'main' }] }, supervisor: { strategy: 'one-for-all' } });
  const [a, b, c] = await kidsOf(sys, sup);
  assert.ok(await answers(a));
  await sys.killThread(0);
  await waitFor(async () => (await b.ask({ type: 'restarts' })) === 1 && (await c.ask({ type: 'restarts' })) === 1, 'siblings restarted');
  await waitFor(() => answers(a), '/s/a back');
  assert.match((ev.of('restart', '/s/b')[0] as { reason: string }).reason, /sibling a failed: thread 0 died/);
  ev.stop();
});

test('a subtree whose supervisor lived on the dead thread is rebuilt: orphans stop, the parent respawns them', async () => {
  const sys = await start();
  const ev = record(sys);
  const top = sys.spawn(Sup, { name: 'top', thread: 0, props: { kids: [{ name: 'leaf', thread: 1 }, { name: 'local', thread: 0 }] } });
  const [leaf] = await kidsOf(sys, top);
  assert.equal(leaf.thread, 1);
  await whenSpawned(sys, leaf.path);
  assert.ok(await answers(leaf));
  const mark = ev.list.length;
  await sys.killThread(0);
  await waitFor(() => ev.of('stop', '/top/leaf', mark).length === 1, 'the orphan on worker 1 stopped');
  assert.equal((ev.of('stop', '/top/leaf', mark)[0] as { reason: string }).reason, 'error: parent thread 0 died');
  await waitFor(() => ev.of('spawn', '/top', mark).length === 1, '/top spawned again by the root');
  await waitFor(async () => (await answers(leaf)) && (await answers(sys.refFor<KidMsg>('/top/local', 0))), 'the subtree answers again', 4000);
  const snap = await sys.snapshot();
  assert.deepEqual(snap.actors.filter((x) => x.path.startsWith('/top')).map((x) => [x.path, x.thread]), [
    ['/top', 0],
    ['/top/leaf', 1],
    ['/top/local', 0],
  ]);
  ev.stop();
});

test('one thread death is one failure for the restart intensity, however many children it took', async () => {
  const sys = await start();
  const ev = record(sys);
  const sup = sys.spawn(Sup, {
    name: 'pair',
    props: { kids: [{ name: 'x', thread: 0 }, { name: 'y', thread: 0 }, { name: 'z', thread: 1 }] },
    supervisor: { strategy: 'one-for-one', maxRestarts: 1, withinMs: 60_000 },
  });
  const [x, y] = await kidsOf(sys, sup);
  assert.ok((await answers(x)) && (await answers(y)));
  const mark = ev.list.length;
  await sys.killThread(0);
  await waitFor(() => ev.of('spawn', '/pair/x', mark).length === 1 && ev.of('spawn', '/pair/y', mark).length === 1, 'both respawned');
  await waitFor(async () => (await answers(x)) && (await answers(y)), 'both answer again');
  assert.equal(ev.of('escalate', undefined, mark).length, 0, 'two lost children under maxRestarts 1 do not escalate');
  assert.equal(await sup.ask({ type: 'restarts' }), 0, 'the supervisor itself was not restarted');
});
