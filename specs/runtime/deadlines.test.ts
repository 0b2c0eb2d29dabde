// Ask deadlines share one timer per timeout value: each open ask expires once, near its own
// deadline, in order; answered asks never expire; Infinity never arms a timer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadlines } from '../../runtime/kernel/deadlines.ts';

test('mixed timeouts expire in deadline order, answered ones never, each near its deadline', async () => {
  const open = new Set<number>();
  const expired: { id: number; ms: number; late: number }[] = [];
  const started = new Map<number, number>();
  const d = new Deadlines(
    (id) => open.has(id),
    (id, ms) => {
      open.delete(id);
      expired.push({ id, ms, late: performance.now() - started.get(id)! - ms });
    },
  );
  const add = (id: number, ms: number): void => {
    open.add(id);
    started.set(id, performance.now());
    d.add(id, ms);
  };
  add(1, 60);
  add(2, 20);
  add(3, 60);
  add(4, 20);
  add(5, Infinity);
  open.delete(3); // answered
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(expired.map((e) => e.id), [2, 4, 1]);
  for (const e of expired) assert.ok(e.late >= -1 && e.late < 60, `ask ${e.id} expired ${e.late.toFixed(1)} ms off its deadline`);
  assert.ok(open.has(5), 'Infinity never expires');
  d.close();
});

test('a long run of answered asks does not pile up', async () => {
  const open = new Set<number>();
  const d = new Deadlines((id) => open.has(id), () => assert.fail('nothing should expire'));
  for (let id = 1; id <= 50_000; id++) {
    open.add(id);
    d.add(id, 1000);
    open.delete(id);
  }
  const bucket = (d as unknown as { buckets: Map<number, { ids: number[]; head: number }> }).buckets.get(1000)!;
  assert.ok(bucket.ids.length - bucket.head <= 1, `${bucket.ids.length - bucket.head} entries kept`);
  assert.ok(bucket.ids.length < 5000, `storage compacted (${bucket.ids.length})`);
  d.close();
});
