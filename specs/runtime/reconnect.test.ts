// The kernel's one reconnect policy (runtime/io/reconnect.ts), used by node links and the event
// dispatcher: the pause list (eventdispatcher.md §4.1, its table) and the exponential
// alternative, as pure schedules and as the stateful §4.1 walk.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { attemptTimes, ExponentialBackoff, exponentialPolicy, parsePauseList, PauseDurations, pauseListPolicy, reconnectPolicy } from '../../runtime/io/reconnect.ts';

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

describe('eventdispatcher §4.1 pause durations (the walk)', () => {
  it('a number is one entry in microseconds; default [60]', () => {
    assert.deepEqual(new PauseDurations(5_000_000).pauses, [5]);
    assert.deepEqual(new PauseDurations().pauses, [60]);
  });
  function walk(list: string, n: number): number[] {
    const p = new PauseDurations(list);
    const out = [p.initialDelay()];
    let current = 0;
    for (let i = 0; i < n; i++) {
      const d = p.nextDelay();
      if (d >= 0) current = d;
      out.push(current);
    }
    return out;
  }
  it('the walk: initial delay, next delays, last repeats, restart index', () => {
    assert.deepEqual(walk('1,1,1,3,5', 7), [0, 1, 1, 1, 3, 5, 5, 5]);
    assert.deepEqual(walk('-5,1,2,4', 5), [5, 1, 2, 4, 4, 4]);
    assert.deepEqual(walk('-5', 3), [5, 5, 5, 5]);
    assert.deepEqual(walk('60', 2), [0, 60, 60]);
    const p = new PauseDurations('-5,1,2,4');
    assert.equal(p.index, 1);
    p.nextDelay();
    p.nextDelay();
    p.restart();
    assert.equal(p.index, 1);
    assert.equal(new PauseDurations('0,1').index, 1);
    assert.equal(new PauseDurations('0').index, 0);
    const zero = new PauseDurations('0');
    assert.equal(zero.nextDelay(), 0);
    assert.equal(zero.nextDelay(), -1);
  });
});

test('property: the stateful walk (event dispatcher) and the pure schedule (node links) give the same attempts', () => {
  const walk = (c: { initialDelay(): number; nextDelay(): number }, n: number): number[] => {
    const out = [c.initialDelay() * 1000];
    let current = 0;
    for (let i = 1; i < n; i++) {
      const d = c.nextDelay();
      if (d >= 0) current = d;
      out.push(out[i - 1] + current * 1000);
    }
    return out;
  };
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 10 }), fc.boolean(), (list, negFirst) => {
      const spec = (negFirst ? [-list[0], ...list.slice(1)] : list).join(',');
      const p = pauseListPolicy(spec);
      assert.deepEqual(walk(new PauseDurations(spec), 25), attemptTimes(p, 25, p.restartIndex));
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5000 }), (initial, factor, max) => {
      const pure = attemptTimes(exponentialPolicy({ initialMs: initial * 1000, factor, maxMs: max * 1000 }), 12);
      const walked = walk(new ExponentialBackoff({ initial, factor, max }), 12);
      walked.forEach((t, i) => assert.ok(Math.abs(t - pure[i]) < 1e-6, `attempt ${i}: ${t} vs ${pure[i]}`));
    }),
  );
});
