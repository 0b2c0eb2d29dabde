// Permanent connections on a fake clock (eventdispatcher.md §4, §8 "Permanent connections").

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { FakeClock } from '../../actors/eventdispatcher/clock.ts';
import { PermanentConnection, type Messenger } from '../../actors/eventdispatcher/permanent.ts';
import { ExponentialBackoff, PauseDurations, type ReconnectWalk } from '../../runtime/io/reconnect.ts';
import { recordingLogger } from './helpers.ts';

const S = 1_000_000;

/** A peer that is up during the given [from, to) intervals (µs); attempts settle at once. */
function harness(policy: ReconnectWalk, up: (t: number) => boolean) {
  const clock = new FakeClock(0);
  const sent: string[] = [];
  const events: string[] = [];
  let live: Messenger | null = null;
  const conn = new PermanentConnection({
    clock,
    policy,
    log: recordingLogger(),
    attempt: (done) => {
      if (!up(clock.nowUs())) return done(new Error('ECONNREFUSED'));
      live = { send: (m) => (sent.push(m.toMessage()), true), close: () => events.push('closed') };
      done(live);
    },
    connected: (m) => {
      events.push('connected');
      const hello = new Message();
      hello.setCommand('REGISTER');
      m.send(hello);
    },
  });
  return { clock, conn, sent, events };
}

const secs = (ts: number[]): number[] => ts.map((t) => t / S);

describe('eventdispatcher permanent connections', () => {
  it('pause list 1,1,1,3,5: attempts at 0, +1, +1, +1, +3, +5, +5', () => {
    const x = harness(new PauseDurations('1,1,1,3,5'), () => false);
    x.conn.start();
    x.clock.advance(21 * S);
    assert.deepEqual(secs(x.conn.attempts), [0, 1, 2, 3, 6, 11, 16, 21]);
    x.conn.stop();
  });

  it('-5,1,2,4 first tries at +5 then +1, +2, +4, +4; -5 every 5 s; default 60; [0] once', () => {
    const cases: [string, number, number[]][] = [
      ['-5,1,2,4', 20, [5, 6, 8, 12, 16, 20]],
      ['-5', 16, [5, 10, 15]],
      ['', 121, [0, 60, 120]],
      ['0', 100, [0]],
    ];
    for (const [list, horizon, want] of cases) {
      const x = harness(new PauseDurations(list), () => false);
      x.conn.start();
      x.clock.advance(horizon * S);
      assert.deepEqual(secs(x.conn.attempts), want, list);
      x.conn.stop();
    }
  });

  it('exponential: at once, then 1, 2, 4, 8 s', () => {
    const x = harness(new ExponentialBackoff(), () => false);
    x.conn.start();
    x.clock.advance(16 * S);
    assert.deepEqual(secs(x.conn.attempts), [0, 1, 3, 7, 15]);
    x.conn.stop();
  });

  it('a connection that drops after living longer than the pause retries at once', () => {
    let upUntil = Infinity;
    const x = harness(new PauseDurations('10'), (t) => t < upUntil);
    x.conn.start();
    x.clock.advance(30 * S);
    assert.equal(x.conn.isConnected(), true);
    upUntil = 0;
    x.conn.disconnect();
    x.clock.advance(0);
    assert.deepEqual(secs(x.conn.attempts), [0, 30]);
    x.clock.advance(10 * S);
    assert.deepEqual(secs(x.conn.attempts), [0, 30, 40]);
    x.conn.stop();
  });

  it('send(cache=true) while down returns false and is delivered before what connected sends; cache=false is lost', () => {
    let up = false;
    const x = harness(new PauseDurations('1'), () => up);
    x.conn.start();
    const m = (c: string): Message => Message.parse(c);
    assert.equal(x.conn.send(m('CACHED'), true), false);
    assert.equal(x.conn.send(m('LOST'), false), false);
    assert.equal(x.conn.cached, 1);
    up = true;
    x.clock.advance(1 * S);
    assert.deepEqual(x.sent, ['CACHED', 'REGISTER']);
    assert.equal(x.conn.send(m('LIVE')), true);
    x.conn.markDone();
    assert.equal(x.conn.send(m('AFTER'), true), false);
    assert.equal(x.conn.cached, 0);
    assert.deepEqual(x.events, ['connected', 'closed']);
  });

  it('property: attempt times match the model for random pause lists and outages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 6 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        (pauses, segments) => {
          // The peer alternates down/up over segments of whole seconds shifted by half a second,
          // so no state change coincides with an attempt.
          const edges: number[] = [];
          let t = 0.5 * S;
          for (const s of segments) edges.push((t += s * S));
          const up = (at: number): boolean => edges.filter((e) => e <= at).length % 2 === 1 && at >= 0.5 * S + segments[0] * S;
          const horizon = 0.5 * S + segments.reduce((a, b) => a + b, 0) * S + 30 * S;
          const list = pauses.join(',');
          const x = harness(new PauseDurations(list), up);
          // The peer going down drops a live connection.
          for (let i = 1; i < edges.length; i += 2) x.clock.setTimeout(() => x.conn.disconnect(), edges[i] / 1000);
          x.conn.start();
          x.clock.advance(horizon);
          x.conn.stop();
          assert.deepEqual(secs(x.conn.attempts), secs(model(pauses, up, edges, horizon)), `${list} ${segments}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** The §4.1 rules restated over whole attempt times. */
function model(p: number[], up: (t: number) => boolean, edges: number[], horizon: number): number[] {
  const restartIndex = p.length > 1 && p[0] <= 0 ? 1 : 0;
  let i = restartIndex;
  let delay = -1;
  let gridStart = 0;
  let next = p[0] < 0 ? -p[0] * S : 0;
  const out: number[] = [];
  while (next <= horizon) {
    const a = next;
    out.push(a);
    const d = i < p.length ? Math.abs(p[i++]) : -1;
    if (d > 0) {
      delay = d * S;
      gridStart = a;
    }
    const tick = delay === -1 ? Infinity : gridStart + (Math.floor((a - gridStart) / delay) + 1) * delay;
    if (up(a)) {
      i = restartIndex;
      const drop = edges.find((e) => e > a && !up(e));
      if (drop === undefined) break;
      next = Math.max(drop, tick);
    } else next = tick;
    if (next === Infinity) break;
  }
  return out;
}
