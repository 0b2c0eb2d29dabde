// xstate machine actors: an action that throws is an actor crash (the supervisor restarts it, on
// main or on a worker), and a machine actor restarted for another reason is restarted, not stopped.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ActorSystem } from '../../runtime/index.ts';
import { Blinker, Sup, type BlinkMsg, type KidMsg } from './fixtures/actors.ts';
import { record, sleep, waitFor, systemsForFile } from './helpers.ts';

const start = systemsForFile(after);
async function row(sys: ActorSystem, path: string) {
  return (await sys.snapshot()).actors.find((a) => a.path === path);
}

for (const threads of [0, 1]) {
  test(`a machine whose action throws crashes and is restarted with a fresh machine (${threads ? 'worker' : 'main'})`, async () => {
    const sys = await start(threads);
    const ev = record(sys);
    const m = sys.spawn(Blinker, { name: 'm', props: undefined, thread: threads ? 0 : 'main' });
    m.tell({ type: 'toggle' });
    m.tell({ type: 'toggle' });
    m.tell({ type: 'toggle' });
    assert.equal(await m.ask({ type: 'state' }), 3);
    assert.deepEqual((await row(sys, '/m'))!.info, { state: 'on', status: 'active' });
    m.tell({ type: 'boom' });
    assert.equal(await m.ask({ type: 'state' }, { timeoutMs: 2000 }), 0, 'a fresh machine after the restart');
    await waitFor(() => ev.of('crash', '/m').length === 1, 'crash event');
    assert.equal((ev.of('crash', '/m')[0] as { reason: string }).reason, 'machine action exploded');
    const r = (await row(sys, '/m'))!;
    assert.equal(r.restarts, 1);
    assert.equal(r.state, 'running');
    assert.deepEqual(r.info, { state: 'off', status: 'active' });
    ev.stop();
  });
}

test('a machine actor restarted as a sibling (one-for-all) is restarted, not stopped', async () => {
  const sys = await start(0);
  const ev = record(sys);
  const sup = sys.spawn(Sup, { name: 's', props: { kids: [{ name: 'm', kind: 'Blinker' }, { name: 'k' }] }, supervisor: { strategy: 'one-for-all' } });
  const [m, k] = await sup.ask<{ path: string; thread: number }[]>({ type: 'children' });
  const machine = sys.refFor<BlinkMsg>(m.path, m.thread);
  machine.tell({ type: 'toggle' });
  assert.equal(await machine.ask({ type: 'state' }), 1);
  sys.refFor<KidMsg>(k.path, k.thread).tell({ type: 'crash', why: 'sibling' });
  await waitFor(() => ev.of('restart', '/s/m').length === 1, 'the machine actor restarted');
  await sleep(20);
  assert.equal(ev.of('stop', '/s/m').length, 0, 'not stopped');
  assert.equal(await machine.ask({ type: 'state' }, { timeoutMs: 1000 }), 0, 'a fresh machine answers');
  assert.equal((await row(sys, '/s/m'))!.state, 'running');
  ev.stop();
});
