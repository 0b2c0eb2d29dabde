// ctx.threadLocal: one value per key per thread and system, shared by the actors that open it,
// kept across restarts, disposed of once when the last holder stops.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineActor } from '../../runtime/index.ts';
import { record, systemsForFile, waitFor } from './helpers.ts';

const start = systemsForFile(after);

const disposed: string[] = [];
type Box = { id: number; hits: number };
let made = 0;

type M = { t: 'hit' } | { t: 'crash' };
export const Holder = defineActor<M, { key: string }>(import.meta.url, 'TlHolder', (props, ctx) => {
  const box = ctx.threadLocal<Box>(props.key, () => ({ id: ++made, hits: 0 }), (b) => disposed.push(`${props.key}#${b.id}:${b.hits}`));
  return {
    receive(msg) {
      if (msg.t === 'crash') throw new Error('boom');
      box.hits++;
      ctx.reply({ id: box.id, hits: box.hits });
    },
  };
});

test('shared by its holders, kept across a restart, disposed of once when the last holder stops', async () => {
  const sys = await start(0);
  const rec = record(sys);
  const a = sys.spawn(Holder, { name: 'a', props: { key: 'k1' } });
  const b = sys.spawn(Holder, { name: 'b', props: { key: 'k1' } });
  const first = await a.ask<{ id: number; hits: number }>({ t: 'hit' });
  assert.deepEqual(await b.ask({ t: 'hit' }), { id: first.id, hits: 2 }, 'one value for both');
  a.tell({ t: 'crash' });
  await waitFor(() => rec.of('restart', '/a').length === 1, 'a restarted');
  assert.deepEqual(await a.ask({ t: 'hit' }), { id: first.id, hits: 3 }, 'the restart kept the value');
  await sys.stopActor(a);
  assert.deepEqual(disposed, [], 'b still holds it');
  await sys.stopActor(b);
  assert.deepEqual(disposed, [`k1#${first.id}:3`]);
  const c = sys.spawn(Holder, { name: 'c', props: { key: 'k1' } });
  const fresh = await c.ask<{ id: number; hits: number }>({ t: 'hit' });
  assert.notEqual(fresh.id, first.id, 'a new value after disposal');
  assert.equal(fresh.hits, 1);
});

test('two systems in one process never share a value', async () => {
  const s1 = await start(0);
  const s2 = await start(0);
  const x = s1.spawn(Holder, { name: 'x', props: { key: 'k2' } });
  const y = s2.spawn(Holder, { name: 'x', props: { key: 'k2' } });
  const vx = await x.ask<{ id: number }>({ t: 'hit' });
  const vy = await y.ask<{ id: number }>({ t: 'hit' });
  assert.notEqual(vx.id, vy.id);
});
