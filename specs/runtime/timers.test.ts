// Actor timers: one-shot, periodic on a fixed schedule (no drift, missed ticks skipped rather than
// bunched after the thread was blocked), and cancelled when the actor stops or restarts.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ticker } from './fixtures/actors.ts';
import { record, sleep, systemsForFile, waitFor } from './helpers.ts';

const start = systemsForFile(after);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

test('once fires once after its delay; the same key replaces it', async () => {
  const sys = await start(0);
  const t = sys.spawn(Ticker, { name: 't', props: undefined });
  const t0 = performance.now();
  await t.ask({ type: 'once', ms: 40 });
  await t.ask({ type: 'once', ms: 90 }); // replaces the 40 ms one
  assert.equal(await t.ask({ type: 'has' }), true);
  await sleep(200);
  const ticks = await t.ask<number[]>({ type: 'ticks' });
  assert.equal(ticks.length, 1, 'one tick');
  assert.ok(ticks[0] - t0 >= 85 && ticks[0] - t0 < 190, `fired after ${ticks[0] - t0} ms (expected ~90)`);
  assert.equal(await t.ask({ type: 'has' }), false, 'a fired one-shot timer is gone');
});

test('every keeps a fixed schedule: ticks stay on their grid, lateness does not accumulate', async () => {
  const sys = await start(1);
  const t = sys.spawn(Ticker, { name: 't', props: undefined, thread: 0 });
  const period = 50;
  await t.ask({ type: 'every', ms: period });
  await sleep(1200);
  await t.ask({ type: 'cancel' });
  const ticks = await t.ask<number[]>({ type: 'ticks' });
  assert.ok(ticks.length >= 18 && ticks.length <= 25, `${ticks.length} ticks in 1200 ms at ${period} ms`);
  // Distance of each tick of the second half from the grid of the first half. That grid's phase is
  // the median phase of the first half's ticks after the very first (which may itself be late on a
  // loaded machine, shifting every later phase alike). A timer re-armed from the time it fired
  // drifts by its lateness every tick, so its second half moves away from the first half's grid;
  // a ticker that is merely late now and then stays on it.
  const signed = ticks.map((x) => {
    const m = (x - ticks[0]) % period;
    return m > period / 2 ? m - period : m;
  });
  const half = Math.floor(signed.length / 2);
  const offset = median(signed.slice(1, half));
  const phase = signed.map((p) => {
    const d = Math.abs(p - offset) % period;
    return Math.min(d, period - d);
  });
  const late = phase.slice(half);
  assert.ok(median(late) < 8, `median distance from the first half's grid (phase ${offset.toFixed(1)} ms) over the second half: ${median(late).toFixed(1)} ms (${signed.map((p) => p.toFixed(1)).join(' ')})`);
});

test('every skips the ticks missed while its thread was blocked, and stays on its grid', async () => {
  const sys = await start(1);
  const t = sys.spawn(Ticker, { name: 't', props: undefined, thread: 0 });
  const period = 40;
  const ticksNow = (): Promise<number[]> => t.ask<number[]>({ type: 'ticks' });
  await t.ask({ type: 'every', ms: period });
  await waitFor(async () => (await ticksNow()).length >= 3, 'three ticks before the block', 10_000);
  await t.ask({ type: 'block', ms: 300 }, { timeoutMs: 5000 });
  const atUnblock = (await ticksNow()).length;
  await waitFor(async () => (await ticksNow()).length >= atUnblock + 5, 'five ticks after the block', 10_000);
  await t.ask({ type: 'cancel' });
  const ticks = await ticksNow();
  const span = ticks.at(-1)! - ticks[0];
  const gaps = ticks.slice(1).map((x, i) => x - ticks[i]);
  const shown = `gaps ${gaps.map((g) => g.toFixed(0)).join(' ')}`;
  // At most one tick per slot of the grid: the ~7 slots that fell in the block are skipped, not
  // replayed (a replay would add them all after the block).
  assert.ok(ticks.length <= Math.round(span / period) + 2, `${ticks.length} ticks over ${span.toFixed(0)} ms (${shown})`);
  assert.ok(Math.max(...gaps) >= 280, `one long gap: the block (${shown})`);
  // A tick made late by a loaded machine may sit close to the next one; a catch-up burst puts three
  // or more together.
  const burst = gaps.some((g, i) => i > 0 && g + gaps[i - 1] < period / 2);
  assert.ok(!burst, `no burst of catch-up ticks after the block (${shown})`);
  // After the late tick that ends the block, ticks fall on the original grid again.
  const after = ticks.slice(ticks.length - 4);
  const phase = after.map((x) => {
    const m = (x - ticks[0]) % period;
    return Math.min(m, period - m);
  });
  assert.ok(median(phase) < 10, `back on the original schedule (phase ${phase.map((p) => p.toFixed(1)).join(' ')}) over ${span.toFixed(0)} ms`);
});

test('timers are cancelled when the actor stops or restarts', async () => {
  const sys = await start(0);
  const ev = record(sys);
  const a = sys.spawn(Ticker, { name: 'a', props: undefined });
  const b = sys.spawn(Ticker, { name: 'b', props: undefined });
  await a.ask({ type: 'every', ms: 10 });
  await b.ask({ type: 'every', ms: 10 });
  await sleep(35);
  await sys.stopActor(a);
  b.tell({ type: 'crash' });
  assert.deepEqual(await b.ask({ type: 'ticks' }), [], 'the new incarnation starts without ticks');
  assert.equal(await b.ask({ type: 'has' }), false, 'and without the previous incarnation’s timer');
  const deadBefore = ev.of('dead-letter', '/a').length;
  await sleep(80);
  assert.deepEqual(await b.ask({ type: 'ticks' }), [], 'no tick after the restart');
  assert.equal(ev.of('dead-letter', '/a').length, deadBefore, 'no tick delivered to the stopped actor');
  ev.stop();
});

test('a one-shot delay beyond 2^31-1 ms waits (it does not fire at once)', async () => {
  const sys = await start(0);
  const t = sys.spawn(Ticker, { name: 'far', props: undefined });
  await t.ask({ type: 'once', ms: 3e9 });
  await sleep(30);
  assert.deepEqual(await t.ask({ type: 'ticks' }), []);
  assert.equal(await t.ask({ type: 'has' }), true);
  await t.ask({ type: 'cancel' });
  assert.equal(await t.ask({ type: 'has' }), false);
});
