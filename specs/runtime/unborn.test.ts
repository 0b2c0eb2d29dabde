// Mail that arrives before the spawn of its actor (the spawn and the mail travel on different
// thread channels) waits for the spawn; mail to a path that never appears, or that stopped
// recently, becomes dead letters.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem } from '../../runtime/index.ts';
import { K_RUN, K_MAIL } from '../../runtime/threads/outbox.ts';
import { Recorder, type RecMsg } from './fixtures/actors.ts';
import { rejectionCode } from './helpers.ts';

const systems: ActorSystem[] = [];
after(async () => {
  await Promise.all(systems.map((s) => s.stop(2000)));
});

test('a batch for a path that is not spawned yet is delivered, in order, once the spawn arrives', async () => {
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'silent' });
  systems.push(sys);
  // As if thread 0 had sent these before the main thread's spawn reached us.
  const run = [K_RUN, '/late', '/sender', 0, [{ type: 'rec', from: 9, seq: 0 }, { type: 'rec', from: 9, seq: 1 }, { type: 'rec', from: 9, seq: 2 }]];
  sys.host.receiveBatch(run);
  sys.host.receiveBatch([K_MAIL, '/late', { type: 'rec', from: 9, seq: 3 }, null, 0, 0, 0]);
  await new Promise((r) => setTimeout(r, 50));
  const late = sys.spawn(Recorder, { name: 'late', props: undefined });
  const seen = await late.ask<{ from: number; seq: number }[]>({ type: 'dump' });
  assert.deepEqual(seen.map((s) => s.seq), [0, 1, 2, 3]);
  assert.equal((await sys.snapshot()).counts.deadLetters, 0);
});

test('mail to a path that never appears is dead after the grace period; an ask to it rejects actor-dead', async () => {
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'silent' });
  systems.push(sys);
  const ghost = sys.refFor<RecMsg>('/ghost', -1);
  ghost.tell({ type: 'rec', from: 0, seq: 0 });
  const t0 = performance.now();
  assert.equal(await rejectionCode(ghost.ask({ type: 'dump' }, { timeoutMs: 5000 })), 'actor-dead');
  const took = performance.now() - t0;
  assert.ok(took >= 900 && took < 2500, `rejected after ${took} ms`);
  assert.equal((await sys.snapshot()).counts.deadLetters, 2);
});

test('mail to an actor that just stopped is dead at once (no grace)', async () => {
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'silent' });
  systems.push(sys);
  const r = sys.spawn(Recorder, { name: 'brief', props: undefined });
  await r.ask({ type: 'dump' });
  await sys.stopActor(r);
  const t0 = performance.now();
  assert.equal(await rejectionCode(r.ask({ type: 'dump' }, { timeoutMs: 5000 })), 'actor-dead');
  assert.ok(performance.now() - t0 < 200, 'no grace period for a stopped path');
});
