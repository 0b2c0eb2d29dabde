// Timers, rounds and read bursts on a fake clock (eventdispatcher.md §3.3-3.5, §8 "Loop").

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ParameterError } from '../../protocols/eventdispatcher/index.ts';
import { FakeClock } from '../../actors/eventdispatcher/clock.ts';
import { ConnectionTimer } from '../../actors/eventdispatcher/timer.ts';
import { Communicator, Connection } from '../../actors/eventdispatcher/communicator.ts';
import { BurstReader } from '../../actors/eventdispatcher/bursts.ts';
import { recordingLogger } from './helpers.ts';

const S = 1_000_000;

describe('eventdispatcher timers', () => {
  it('a 1 s periodic timer blocked for 3.5 s fires once on resume, then at the 4 s grid point', () => {
    const clock = new FakeClock(0);
    const comm = new Communicator(clock, recordingLogger());
    const ticks: number[] = [];
    const c = new Connection('t', { timeout: () => ticks.push(clock.nowUs()) });
    c.timer.setTimeoutDelay(S, 0);
    comm.add(c);
    clock.block(3.5 * S);
    comm.round();
    comm.round();
    assert.deepEqual(ticks, [3.5 * S]);
    assert.equal(comm.nextDeadline(), 4 * S);
    clock.block(0.5 * S);
    comm.round();
    assert.deepEqual(ticks, [3.5 * S, 4 * S]);
  });

  it('property: never two ticks for one grid point, never a burst, ticks on the grid once on time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 5 * S }), fc.array(fc.integer({ min: 0, max: 20 * S }), { minLength: 1, maxLength: 40 }), (delay, steps) => {
        const clock = new FakeClock(0);
        const t = new ConnectionTimer();
        t.setTimeoutDelay(delay, 0);
        const gridPoints = new Set<number>();
        for (const step of steps) {
          clock.block(step);
          const now = clock.nowUs();
          const due = t.deadline();
          const kind = t.fire(now);
          // at most one tick per processing; and one exactly when a grid point passed
          assert.equal(kind !== null, due <= now);
          if (kind === null) continue;
          const k = Math.floor(now / delay);
          assert.ok(!gridPoints.has(k), 'two ticks for one grid point');
          gridPoints.add(k);
          assert.ok(t.deadline() > now, 'next tick strictly after now');
          assert.equal(t.deadline() % delay, 0, 'next tick on the grid');
          assert.equal(t.fire(now), null, 'no burst');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('dates: one-shot, reset before the callback, priority over the delay; bad values', () => {
    const t = new ConnectionTimer();
    t.setTimeoutDelay(S, 0);
    t.setTimeoutDate(5 * S);
    assert.equal(t.fire(2 * S), null, 'delay ticks ignored while a date is set');
    assert.equal(t.fire(5 * S), 'date');
    assert.equal(t.date, -1);
    assert.equal(t.fire(5 * S), 'delay');
    assert.throws(() => t.setTimeoutDelay(9, 0), (e: Error) => e instanceof ParameterError && /cannot be less than 10 unless it is exactly -1, 9 is not valid/.test(e.message));
    assert.throws(() => t.setTimeoutDate(-2), /date_us parameter cannot be less than -1, -2 is not valid/);
    t.setTimeoutDelay({ sec: 11, nsec: 345_678_183 }, 0);
    assert.equal(t.delay, 11_345_678);
    assert.equal(ConnectionTimer.create(0, 7).deadline(), 7);
    assert.equal(ConnectionTimer.create(-1, 7).deadline(), -1);
  });
});

describe('eventdispatcher rounds', () => {
  it('priorities 50/100/200 deliver in that order; each timeout follows its own I/O', () => {
    const clock = new FakeClock(0);
    const comm = new Communicator(clock, recordingLogger());
    const seen: string[] = [];
    const mk = (name: string, p: number): Connection => {
      const c = new Connection(name, { event: (k) => seen.push(`${name}:${k}`), timeout: () => seen.push(`${name}:timeout`) });
      c.priority = p;
      c.timer.setTimeoutDate(0);
      comm.add(c);
      return c;
    };
    const cs = [mk('c200', 200), mk('c50', 50), mk('c100', 100)];
    for (const c of cs) c.raise('read');
    comm.round();
    assert.deepEqual(seen, ['c50:read', 'c50:timeout', 'c100:read', 'c100:timeout', 'c200:read', 'c200:timeout']);
    assert.throws(() => (cs[0].priority = 256), /priority out of range/);
  });

  it('a disabled connection gets nothing, not even timeouts; after re-enable one overdue tick fires', () => {
    const clock = new FakeClock(0);
    const comm = new Communicator(clock, recordingLogger());
    const seen: string[] = [];
    const c = new Connection('c', { event: (k) => seen.push(k), timeout: () => seen.push('timeout') });
    c.timer.setTimeoutDelay(S, 0);
    comm.add(c);
    c.enabled = false;
    c.raise('read');
    for (let i = 0; i < 5; i++) {
      clock.block(S);
      comm.round();
    }
    assert.deepEqual(seen, []);
    c.enabled = true;
    comm.round();
    comm.round();
    assert.deepEqual(seen, ['read', 'timeout']);
  });

  it('a connection disabled by an earlier callback in the round still gets its events; a removed one does not', () => {
    const comm = new Communicator(new FakeClock(0), recordingLogger());
    const seen: string[] = [];
    const b = new Connection('b', { event: () => seen.push('b') });
    const c = new Connection('c', { event: () => seen.push('c') });
    const a = new Connection('a', { event: () => { seen.push('a'); b.enabled = false; comm.remove(c); } });
    a.priority = 1;
    for (const x of [a, b, c]) { comm.add(x); x.raise('read'); }
    comm.round();
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('registry: add(null) false, duplicates false, remove unknown false; run() ends true when empty, false when all disabled', async () => {
    const clock = new FakeClock(0);
    const log = recordingLogger();
    const comm = new Communicator(clock, log);
    const c = new Connection('c');
    assert.equal(comm.add(null), false);
    assert.equal(comm.add(c), true);
    assert.equal(comm.add(c), false);
    assert.equal(comm.remove(new Connection('x')), false);
    c.enabled = false;
    assert.equal(await comm.run(), false);
    assert.match(log.lines.at(-1)!.msg, /All connections are disabled\?/);
    c.enabled = true;
    const once = new Connection('once', { timeout: (x) => comm.remove(x) });
    once.timer.setTimeoutDate(0);
    comm.remove(c);
    comm.add(once);
    assert.equal(await comm.run(), true);
  });
});

describe('eventdispatcher read bursts', () => {
  it('20 queued lines of 1,023 characters: one round handles 5, the rest follow in order', () => {
    const clock = new FakeClock(0);
    const got: string[] = [];
    const r = new BurstReader({ clock, onLine: (l) => got.push(l.toString()), onFramingError: () => assert.fail('framing') });
    const lines = Array.from({ length: 20 }, (_, i) => String(i).padStart(4, '0') + 'x'.repeat(1019));
    r.push(Buffer.from(lines.map((l) => l + '\n').join('')));
    assert.equal(r.round(), 5);
    assert.deepEqual(got, lines.slice(0, 5));
    let rounds = 1;
    while (r.queued > 0) { r.round(); rounds++; }
    assert.deepEqual(got, lines);
    assert.equal(rounds, 4);
  });

  it('the time limit ends a round too', () => {
    const clock = new FakeClock(0);
    const r = new BurstReader({ clock, onLine: () => clock.block(300_000), onFramingError: () => {} });
    r.push(Buffer.from('A\n'.repeat(600)));
    // Each chunk holds many lines; after the first chunk 512 lines took far over 500 ms.
    assert.equal(r.round(), 512);
  });

  it('property: nothing lost or reordered across rounds for random line sizes and pushes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\r', 'é'), maxLength: 3000 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 10 }),
        (lines, pushSizes, limit) => {
          const got: string[] = [];
          const clock = new FakeClock(0);
          const r = new BurstReader({ clock, eventLimit: limit, onLine: (l) => got.push(l.toString()), onFramingError: () => assert.fail('framing') });
          const bytes = Buffer.from(lines.map((l) => l + '\n').join(''));
          let pos = 0;
          let i = 0;
          while (pos < bytes.length) {
            const n = pushSizes[i++ % pushSizes.length];
            r.push(bytes.subarray(pos, pos + n));
            pos += n;
            r.round();
          }
          while (r.queued > 0) r.round();
          assert.deepEqual(got, lines.filter((l) => l !== ''));
        },
      ),
      { numRuns: 200 },
    );
  });
});
