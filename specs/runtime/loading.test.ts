// While a worker imports an actor's module, a placeholder holds the actor's mail and system
// messages (watch, enable/disable, priorities); they all reach the actor once it exists, and fail
// properly if the module cannot be loaded.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem, type ActorRef } from '../../runtime/index.ts';
import { Nursery, type NurseryMsg, type SlowMsg } from './fixtures/slow-module.ts';
import { Watcher } from './fixtures/actors.ts';
import { isPending, record, rejectionCode, sleep, waitFor } from './helpers.ts';

const systems: ActorSystem[] = [];
after(async () => {
  await Promise.all(systems.map((s) => s.stop(2000)));
});
/** A fresh system: its worker has not imported the slow module (300 ms) yet. */
async function fresh(): Promise<{ sys: ActorSystem; nursery: ActorRef<NurseryMsg> }> {
  const sys = await ActorSystem.start({ threads: 1, logLevel: 'silent', supervisor: { maxRestarts: 3, withinMs: 10_000 } });
  systems.push(sys);
  return { sys, nursery: sys.spawn(Nursery, { name: 'nursery', props: undefined }) };
}
async function child(sys: ActorSystem, nursery: ActorRef<NurseryMsg>, name: string, disabled?: boolean): Promise<ActorRef<SlowMsg>> {
  const r = await nursery.ask<{ path: string; thread: number }>({ type: 'spawn', name, thread: 0, disabled });
  return sys.refFor<SlowMsg>(r.path, r.thread);
}

test('a watch registered while the module loads is kept: the watcher hears of the later stop', async () => {
  const { sys, nursery } = await fresh();
  const k = await child(sys, nursery, 'k');
  await sleep(50);
  await nursery.ask({ type: 'watch', name: 'k' });
  assert.deepEqual(await k.ask({ type: 'dump' }, { timeoutMs: 3000 }), [], 'loaded and running');
  await nursery.ask({ type: 'stop', name: 'k' });
  const seen = await waitFor(async () => {
    const s = await nursery.ask<{ path: string; reason: unknown }[]>({ type: 'seen' });
    return s.length > 0 ? s : null;
  }, 'terminated', 2000);
  assert.deepEqual(seen, [{ path: '/nursery/k', reason: 'normal' }]);
});

test('disable and enable sent while the module loads take effect on the actor', async () => {
  const { sys, nursery } = await fresh();
  const a = await child(sys, nursery, 'a');
  const b = await child(sys, nursery, 'b', true);
  await sleep(50);
  await nursery.ask({ type: 'disable', name: 'a' });
  await nursery.ask({ type: 'enable', name: 'b' });
  a.tell({ type: 'note', n: 1 });
  b.tell({ type: 'note', n: 2 });
  const aDump = a.ask({ type: 'dump' }, { timeoutMs: 3000 });
  assert.deepEqual(await b.ask({ type: 'dump' }, { timeoutMs: 3000 }), [2], 'b was enabled');
  await sleep(30);
  assert.ok(await isPending(aDump), 'a was disabled');
  await nursery.ask({ type: 'enable', name: 'a' });
  assert.deepEqual(await aDump, [1]);
});

test('mail held while the module loads keeps its priority', async () => {
  const { sys, nursery } = await fresh();
  const ev = record(sys);
  const r = await child(sys, nursery, 'r', true);
  r.tell({ type: 'note', n: 0 }, { priority: 5 });
  r.tell({ type: 'note', n: 1 }, { priority: 0 });
  await waitFor(() => ev.of('spawn', r.path).length === 1, 'the actor exists', 3000);
  await sleep(10);
  r.tell({ type: 'note', n: 2 }, { priority: 1 });
  const dump = r.ask<number[]>({ type: 'dump' }, { priority: 9, timeoutMs: 3000 });
  await sleep(20);
  await nursery.ask({ type: 'enable', name: 'r' });
  assert.deepEqual(await dump, [1, 2, 0], 'priority 0, then 1, then 5');
  ev.stop();
});

test('when the module cannot be loaded, held asks fail with actor-dead and watchers hear of it', async () => {
  const { sys, nursery } = await fresh();
  const w = sys.spawn(Watcher, { name: 'w', props: undefined });
  const r = await nursery.ask<{ path: string; thread: number }>({ type: 'spawn', name: 'bad', thread: 0, bad: true });
  const bad = sys.refFor<SlowMsg>(r.path, r.thread);
  const asked = bad.ask({ type: 'dump' }, { timeoutMs: 4000 });
  await w.ask({ type: 'watch', target: bad });
  const t0 = performance.now();
  assert.equal(await rejectionCode(asked), 'actor-dead');
  assert.ok(performance.now() - t0 < 3000, 'failed at once, not by timeout');
  const seen = await waitFor(async () => {
    const s = await w.ask<{ path: string }[]>({ type: 'dump' });
    return s.length > 0 ? s : null;
  }, 'terminated for the actor that never started', 2000);
  assert.equal(seen[0].path, '/nursery/bad');
});
