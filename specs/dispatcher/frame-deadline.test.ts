// FrameDeadline (actors/dispatcher/frame-limits.ts) as a state machine, against a model, over any
// frames cut into any chunks at any times, with the timer fired whenever it is due:
//  - at most one timer is pending (no re-arming per chunk under pipelined traffic);
//  - while a frame is incomplete, a timer is pending and due no later than its first byte + limit,
//    so a trickle is always caught in time;
//  - `overdue` says yes exactly when the incomplete frame is at least `limit` old;
//  - frames that arrive whole arm nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDeadline } from '../../actors/dispatcher/frame-limits.ts';
import { encodeFrameBytes, requestDecoder } from '../../protocols/dispatcher/index.ts';

const LIMIT = 100;

function streamOf(sizes: number[]): Buffer {
  return Buffer.concat(sizes.map((n) => encodeFrameBytes('length32', Buffer.alloc(n, 0x61))));
}

describe('FrameDeadline', () => {
  it('one pending timer at most, always due in time for an incomplete frame; overdue exactly past the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.record({ cut: fc.integer({ min: 1, max: 30 }), dt: fc.integer({ min: 0, max: 80 }) }), { minLength: 1, maxLength: 60 }),
        (sizes, steps) => {
          const bytes = streamOf(sizes);
          let now = 1000;
          let due: number | null = null; // the pending timer
          let arms = 0;
          const fd = new FrameDeadline(
            requestDecoder('length32', 1 << 20),
            LIMIT,
            (ms) => {
              assert.equal(due, null, 'armed while a timer was pending');
              due = now + ms;
              arms++;
            },
            () => now,
          );
          let since = 0; // model: when the incomplete frame's first byte arrived (0: none)
          const fireDue = (): void => {
            // A timer fires at its due time or later (here: at `now`), and is asked at that moment.
            while (due !== null && due <= now) {
              due = null;
              const late = fd.overdue(now);
              const expectLate = since !== 0 && now - since >= LIMIT;
              assert.equal(late, expectLate, `overdue at ${now} for a frame begun at ${since}`);
              if (late) since = 0; // the connection closes; the model forgets the frame
              else if (since !== 0) assert.ok(due !== null && due <= since + LIMIT, 're-armed in time for the frame in progress');
            }
          };
          let off = 0;
          for (const { cut, dt } of steps) {
            if (off >= bytes.length) break;
            now += dt;
            fireDue();
            const chunk = bytes.subarray(off, Math.min(bytes.length, off + cut));
            off += chunk.length;
            const frames = fd.push(chunk);
            if (fd.buffered === 0) since = 0;
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
        let arms = 0;
        const fd = new FrameDeadline(requestDecoder('length32', 1 << 20), LIMIT, () => arms++);
        for (const sizes of chunks) assert.equal(fd.push(streamOf(sizes)).length, sizes.length);
        assert.equal(arms, 0);
      }),
    );
  });
});
