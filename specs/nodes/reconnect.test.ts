// The reconnect policies: the event dispatcher's pause list (eventdispatcher.md §4.1, its table)
// and the exponential alternative, as pure schedules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { attemptTimes, exponentialPolicy, parsePauseList, pauseListPolicy, reconnectPolicy } from '../../runtime/nodes/reconnect.ts';

const gaps = (spec: string | number, n: number): number[] => {
  const p = pauseListPolicy(spec);
  const t = attemptTimes(p, n, p.restartIndex);
  return [t[0], ...t.slice(1).map((x, i) => x - t[i])].map((ms) => ms / 1000);
};

test('the pause-list table of the specification', () => {
  assert.deepEqual(gaps(60, 4), [0, 60, 60, 60]);
  assert.deepEqual(gaps('1,1,1,3,5', 8), [0, 1, 1, 1, 3, 5, 5, 5]);
  assert.deepEqual(gaps('1,1,1,3,5,10,20,30,60', 12), [0, 1, 1, 1, 3, 5, 10, 20, 30, 60, 60, 60]);
  assert.deepEqual(gaps('-5', 3), [5, 5, 5]);
  assert.deepEqual(gaps('-5,1,2,4', 5), [5, 1, 2, 4, 4]);
  assert.deepEqual(gaps(0, 5), [0], '"0" tries once only');
  assert.deepEqual(gaps('', 2), [0, 60], 'an empty list is the default');
});

test('pause durations: units, decimals, and one clear error for a bad entry', () => {
  assert.deepEqual(parsePauseList('1.5, 2s, 3m, 1h, 1d, 1w, -2'), [1.5, 2, 180, 3600, 86_400, 604_800, -2]);
  assert.throws(() => parsePauseList('1,x,3'), { message: 'pause duration "x" is not valid.' });
  assert.throws(() => parsePauseList(Array(255).fill('1').join(',')), /at most 254 entries/);
});

test('property: a pause list never waits less than its smallest pause or gives up while pauses are positive', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 10 }), fc.boolean(), (list, negFirst) => {
      const spec = (negFirst ? [-list[0], ...list.slice(1)] : list).join(',');
      const p = pauseListPolicy(spec);
      const t = attemptTimes(p, 30, p.restartIndex);
      assert.equal(t.length, 30);
      assert.equal(t[0], negFirst ? list[0] * 1000 : 0);
      const min = Math.min(...list.slice(negFirst && list.length > 1 ? 1 : 0)) * 1000;
      for (let i = 1; i < t.length; i++) assert.ok(t[i] - t[i - 1] >= min);
      // past the list, the last pause repeats
      assert.equal(t[29] - t[28], list[list.length - 1] * 1000);
    }),
  );
});

test('exponential: at once, then initial, doubling up to the max; reset after a connect', () => {
  const p = exponentialPolicy({ initialMs: 1000, factor: 2, maxMs: 3_600_000 });
  assert.deepEqual(attemptTimes(p, 6), [0, 1000, 3000, 7000, 15_000, 31_000]);
  assert.equal(p.restartIndex, 0);
  const capped = reconnectPolicy({ initialMs: 100, factor: 3, maxMs: 500 });
  assert.deepEqual(attemptTimes(capped, 5), [0, 100, 400, 900, 1400]);
});
