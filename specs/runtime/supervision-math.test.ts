// The pure supervision arithmetic: restart windows, backoff delays and restart sets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RestartWindow, WINDOW_CAP, backoffDelay, restartSet, resolveSupervisor, defaultSupervisor } from '../../runtime/supervision/supervision.ts';

test('RestartWindow counts the restarts of the last withinMs (model)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }), fc.integer({ min: 1, max: 100 }), (steps, within) => {
      const w = new RestartWindow();
      const times: number[] = [];
      let now = 0;
      for (const dt of steps) {
        now += dt;
        times.push(now);
        const expected = times.filter((t) => now - t < within).length;
        assert.equal(w.record(now, within), expected);
      }
    }),
  );
});

test('RestartWindow: long runs (its compaction) against the model, and the count saturates at WINDOW_CAP', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 100, maxLength: 600 }), fc.integer({ min: 1, max: 400 }), (steps, within) => {
      const w = new RestartWindow();
      const times: number[] = [];
      let now = 0;
      for (const dt of steps) {
        now += dt;
        times.push(now);
        assert.equal(w.record(now, within), times.filter((t) => now - t < within).length);
      }
    }),
  );
  const w = new RestartWindow();
  let n = 0;
  for (let i = 0; i < WINDOW_CAP * 3; i++) n = w.record(i, 1e9);
  assert.equal(n, WINDOW_CAP);
  assert.equal(w.count, WINDOW_CAP);
});

test('backoff: minMs doubling per restart in the window, capped, with jitter within its spread', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1000 }),
      fc.integer({ min: 0, max: 5000 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 12 }),
      fc.double({ min: 0, max: 0.999, noNaN: true }),
      (minMs, maxMs, jitter, n, r) => {
        const d = backoffDelay({ minMs, maxMs, jitter }, n, () => r);
        const base = Math.min(Math.max(minMs, maxMs), minMs * 2 ** (n - 1));
        assert.ok(d >= Math.floor(base * (1 - jitter)) && d <= Math.ceil(base * (1 + jitter)), `delay ${d} for base ${base} ±${jitter}`);
        assert.equal(backoffDelay({ minMs, maxMs, jitter: 0 }, n), base);
        assert.ok(base >= minMs, 'never below the first delay, whatever the cap');
      },
    ),
  );
  assert.equal(backoffDelay({ minMs: 0, maxMs: 0 }, 3), 0);
  assert.equal(backoffDelay({ minMs: 100, maxMs: 0 }, 1), 100, 'a cap left at 0 does not cancel the backoff');
  assert.equal(backoffDelay({ minMs: 10, maxMs: 50 }, 10), 50);
});

test('restartSet: one-for-one, one-for-all, rest-for-one', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10 }).chain((count) => fc.tuple(fc.constant(count), fc.integer({ min: 0, max: count - 1 }))), ([count, failed]) => {
      assert.deepEqual(restartSet('one-for-one', count, failed), [failed]);
      assert.deepEqual(restartSet('one-for-all', count, failed), [...Array(count).keys()]);
      assert.deepEqual(restartSet('rest-for-one', count, failed), [...Array(count).keys()].filter((i) => i >= failed));
    }),
  );
});

test('resolveSupervisor layers options over the defaults', () => {
  assert.deepEqual(resolveSupervisor(), defaultSupervisor);
  const r = resolveSupervisor({ strategy: 'one-for-all', maxRestarts: 3 }, undefined, { maxRestarts: 0, withinMs: 50 });
  assert.deepEqual(r, { ...defaultSupervisor, strategy: 'one-for-all', maxRestarts: 0, withinMs: 50 });
});
