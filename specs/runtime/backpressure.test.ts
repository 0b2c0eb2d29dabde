// A producer waiting on writable() for an actor on another thread is released when that actor
// drains, stops, or its thread dies: writable() never hangs.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem } from '../../runtime/index.ts';
import { Pusher, Recorder, type PusherMsg } from './fixtures/actors.ts';
import { isPending, sleep, waitFor, whenSpawned } from './helpers.ts';

const fixtures = new URL('./fixtures/actors.ts', import.meta.url).href;
const systems: ActorSystem[] = [];
after(async () => {
  await Promise.all(systems.map((s) => s.stop(2000)));
});

/** A disabled backpressure consumer (capacity 20) on `consumerAt`, and a producer on worker 0 held back by it. */
async function blocked(consumerAt: 'main' | 1): Promise<{ sys: ActorSystem; done: Promise<unknown> }> {
  // maxRestarts 0 at the root: a consumer lost with its thread is not spawned again (disabled again).
  const sys = await ActorSystem.start({ threads: 2, logLevel: 'silent', preload: [fixtures], supervisor: { maxRestarts: 0, withinMs: 10_000 } });
  systems.push(sys);
  const target = sys.spawn(Recorder, { name: 'rec', props: undefined, thread: consumerAt, disabled: true, mailbox: { capacity: 20, overflow: 'backpressure' } });
  await whenSpawned(sys, target.path); // the producer on worker 0 must not outrun the spawn
  const pusher = sys.spawn(Pusher, { name: 'pusher', props: undefined, thread: 0 });
  const done = pusher.ask({ type: 'push', target, n: 2000 } as PusherMsg, { timeoutMs: 4000 });
  done.catch(() => {});
  await waitFor(async () => ((await sys.snapshot()).actors.find((a) => a.path === target.path)?.depth ?? 0) >= 20, 'the consumer’s mailbox to fill up');
  await sleep(30);
  assert.ok(await isPending(done), 'the producer is held back');
  return { sys, done };
}

test('writable() resolves when the consumer on another thread stops', async () => {
  const { sys, done } = await blocked('main');
  await sys.stopActor(sys.refFor('/rec', -1));
  const r = (await done) as { refused: number };
  assert.ok(r.refused >= 1, 'it had been refused, then released');
});

test('writable() resolves when the consumer’s thread dies', async () => {
  const { sys, done } = await blocked(1);
  await sys.killThread(1);
  const r = (await done) as { refused: number };
  assert.ok(r.refused >= 1);
});
