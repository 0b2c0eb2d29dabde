// The frame deadline of runtime/io stream connections (runtime/io/frame-watch.ts) as a state
// machine, against a model, over any frames cut into any chunks at any times, with the timer
// fired whenever it is due (driven as StreamConnection drives it: a decoder push, then
// framePushed; the timer, then frameTimerFired):
//  - at most one timer is pending (no re-arming per chunk under pipelined traffic);
//  - while a frame is incomplete, a timer is pending and due no later than its first byte + limit,
//    so a trickle is always caught in time;
//  - the timer says overdue exactly when the incomplete frame is at least `limit` old;
//  - frames that arrive whole arm nothing.
// Then over a real socket: a trickled frame calls `frameTimeout` once, whole frames never do.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { framePushed, frameTimerFired, type FrameWatch } from '../../runtime/io/frame-watch.ts';
import { listen, StreamConnection } from '../../runtime/io/index.ts';
import { encodeFrameBytes, requestDecoder } from '../../protocols/dispatcher/index.ts';
import { waitFor } from './helpers.ts';

const LIMIT = 100;

function streamOf(sizes: number[]): Buffer {
  return Buffer.concat(sizes.map((n) => encodeFrameBytes('length32', Buffer.alloc(n, 0x61))));
}

describe('frame watch', () => {
  it('one pending timer at most, always due in time for an incomplete frame; overdue exactly past the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.record({ cut: fc.integer({ min: 1, max: 30 }), dt: fc.integer({ min: 0, max: 80 }) }), { minLength: 1, maxLength: 60 }),
        (sizes, steps) => {
          const bytes = streamOf(sizes);
          const dec = requestDecoder('length32', 1 << 20);
          const w: FrameWatch = { frameSince: 0, frameArmed: false };
          let now = 1000;
          let due: number | null = null; // the pending timer
          let arms = 0;
          const arm = (ms: number): void => {
            if (ms <= 0) return;
            assert.equal(due, null, 'armed while a timer was pending');
            due = now + ms;
            arms++;
          };
          let since = 0; // model: when the incomplete frame's first byte arrived (0: none)
          const fireDue = (): void => {
            // A timer fires at its due time or later (here: at `now`), and is asked at that moment.
            while (due !== null && due <= now) {
              due = null;
              const r = frameTimerFired(w, now, LIMIT);
              const expectLate = since !== 0 && now - since >= LIMIT;
              assert.equal(r === -1, expectLate, `overdue at ${now} for a frame begun at ${since}`);
              if (r === -1) since = 0; // the owner closes; the model forgets the frame
              else arm(r);
              if (since !== 0) assert.ok(due !== null && due <= since + LIMIT, 're-armed in time for the frame in progress');
            }
          };
          let off = 0;
          for (const { cut, dt } of steps) {
            if (off >= bytes.length) break;
            now += dt;
            fireDue();
            const chunk = bytes.subarray(off, Math.min(bytes.length, off + cut));
            off += chunk.length;
            const frames = dec.push(chunk);
            arm(framePushed(w, dec.buffered, frames.length, LIMIT, () => now));
            if (dec.buffered === 0) since = 0;
            else if (since === 0 || frames.length > 0) since = now;
            if (since !== 0) assert.ok(due !== null && due <= since + LIMIT, `a frame begun at ${since} is watched (timer due ${due})`);
          }
          assert.ok(arms <= steps.length * 2, 'bounded arming');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('frames that arrive whole arm nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 20 }), (chunks) => {
        const dec = requestDecoder('length32', 1 << 20);
        const w: FrameWatch = { frameSince: 0, frameArmed: false };
        for (const sizes of chunks) {
          const frames = dec.push(streamOf(sizes));
          assert.equal(frames.length, sizes.length);
          assert.equal(framePushed(w, dec.buffered, frames.length, LIMIT, Date.now), 0);
        }
        assert.equal(w.frameArmed, false);
      }),
    );
  });
});

describe('StreamConnection frameTimeoutMs over a real socket', () => {
  const cleanups: (() => void)[] = [];
  after(() => {
    for (const c of cleanups.reverse()) c();
  });

  it('a trickled frame calls frameTimeout once; frames that complete in time never do', async () => {
    const timeouts: number[] = []; // the peer port of each connection told
    const got: string[] = [];
    const l = await listen({
      target: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      onConnection: (s) => {
        new StreamConnection(s, {
          decoder: requestDecoder('length32', 1024),
          frameTimeoutMs: 150,
          handlers: { frames: (fs) => got.push(...fs.map((f) => f.toString())), frameTimeout: () => timeouts.push(s.remotePort!) },
        });
      },
    });
    cleanups.push(() => void l.stop());
    const slow = net.connect({ host: '127.0.0.1', port: l.port });
    const fast = net.connect({ host: '127.0.0.1', port: l.port });
    cleanups.push(() => slow.destroy(), () => fast.destroy());
    slow.write(Buffer.from([0, 0, 0, 10, 0x61])); // 10 announced, 1 sent: never completes
    const whole = encodeFrameBytes('length32', Buffer.from('quick'));
    for (let i = 0; i < 5; i++) {
      // each frame split in two chunks 40 ms apart: always complete within the limit
      fast.write(whole.subarray(0, 3));
      await new Promise((r) => setTimeout(r, 40));
      fast.write(whole.subarray(3));
    }
    await waitFor(() => timeouts.length === 1 && got.length === 5, 'the slow frame timed out, the quick ones arrived');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(timeouts, [slow.localPort], 'called once, for the slow peer only, not re-armed after it said overdue');
    assert.deepEqual(got, ['quick', 'quick', 'quick', 'quick', 'quick']);
  });
});
