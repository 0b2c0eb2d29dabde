// Spawn options beyond placement: temporary children are never restarted and do not count towards
// restart intensity; quiet actors emit no lifecycle events but still count; machine actors get a
// stop hook and inspect details.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem } from '../../runtime/index.ts';
import { Echo } from './fixtures/actors.ts';
import { Door, machineStops } from './fixtures/options-actors.ts';
import { record, rejectionCode, waitFor } from './helpers.ts';

const systems: ActorSystem[] = [];
after(async () => {
  await Promise.all(systems.map((s) => s.stop(2000)));
});
async function start(): Promise<ActorSystem> {
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'silent', supervisor: { maxRestarts: 3, withinMs: 10_000 } });
  systems.push(sys);
  return sys;
}

test('a temporary child that crashes is stopped, not restarted, and does not use up the restart intensity', async () => {
  const sys = await start();
  const ev = record(sys);
  const temps = Array.from({ length: 6 }, (_, i) => sys.spawn(Echo, { name: `temp-${i}`, props: undefined, restart: 'temporary' }));
  const stopped = temps.map((t) => sys.whenStopped(t.path));
  for (const t of temps) t.tell({ type: 'crash', why: 'one-shot job failed' });
  const reasons = await Promise.all(stopped);
  for (const r of reasons) assert.match(r, /one-shot job failed/);
  assert.equal(ev.of('restart').length, 0, 'no temporary child was restarted');
  assert.equal(await rejectionCode(temps[0].ask({ type: 'count' }, { timeoutMs: 3000 })), 'actor-dead');
  // Six failures above, intensity 3: a permanent child still gets its restarts.
  const perm = sys.spawn(Echo, { name: 'perm', props: undefined });
  perm.tell({ type: 'crash', why: 'transient glitch' });
  assert.equal(await perm.ask({ type: 'echo', value: 'back' }), 'back');
  assert.equal(ev.of('restart', '/perm').length, 1);
});

test('a quiet actor emits no spawn or stop events, yet the totals count it', async () => {
  const sys = await start();
  const ev = record(sys);
  const q = sys.spawn(Echo, { name: 'quiet', props: undefined, quiet: true });
  assert.equal(await q.ask({ type: 'echo', value: 1 }), 1);
  const loud = sys.spawn(Echo, { name: 'loud', props: undefined });
  await loud.ask({ type: 'echo', value: 2 });
  assert.equal(ev.of('spawn', '/quiet').length, 0);
  assert.equal(ev.of('spawn', '/loud').length, 1);
  const before = (await sys.snapshot()).counts;
  q.tell({ type: 'crash', why: 'x' } as never);
  await waitFor(async () => (await q.ask({ type: 'count' }).catch(() => 0)) === 1, 'restarted quiet actor answers');
  const after_ = (await sys.snapshot()).counts;
  assert.equal(after_.spawn, before.spawn, 'a restart is not a spawn');
  assert.equal(before.spawn, 2, 'one announced spawn plus one quiet spawn');
});

test('a machine actor runs its stop hook on crash-restart and on stop, and adds inspect details', async () => {
  const sys = await start();
  machineStops.length = 0;
  const door = sys.spawn(Door, { name: 'door', props: { id: 'd1' } });
  door.tell({ type: 'open' });
  await waitFor(async () => {
    const a = (await sys.snapshot()).actors.find((x) => x.path === '/door');
    return (a?.info as { state?: string; id?: string } | undefined)?.state === 'open' && (a?.info as { id?: string }).id === 'd1';
  }, 'door open with its id in inspect');
  door.tell({ type: 'close' });
  door.tell({ type: 'explode' });
  await waitFor(() => machineStops.length === 1, 'stop hook on the crash restart');
  assert.match(machineStops[0], /^d1:kaboom/);
  await sys.stopActor(door);
  assert.deepEqual(machineStops.slice(1), ['d1:normal']);
});
