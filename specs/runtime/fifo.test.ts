// Per-sender FIFO across threads: several senders on different threads blast numbered messages at
// one recorder; whatever the interleaving, each sender's sequence arrives complete and in order.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ActorSystem, type Placement } from '../../runtime/index.ts';
import { Blaster, Recorder, type RecMsg } from './fixtures/actors.ts';
import { waitFor } from './helpers.ts';

let sys: ActorSystem;
let run = 0;

before(async () => {
  sys = await ActorSystem.start({ threads: 2, logLevel: 'silent', preload: [new URL('./fixtures/actors.ts', import.meta.url).href] });
});
after(async () => {
  await sys.stop(2000);
});

const placement = fc.constantFrom<Placement>('main', 0, 1);

test('each sender’s messages arrive in order, across threads (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      placement,
      fc.array(fc.tuple(placement, fc.integer({ min: 1, max: 3000 })), { minLength: 1, maxLength: 4 }),
      async (recAt, senders) => {
        const id = run++;
        const recorder = sys.spawn(Recorder, { name: `rec${id}`, props: undefined, thread: recAt });
        const blasters = senders.map(([at], i) => sys.spawn(Blaster, { name: `b${id}-${i}`, props: undefined, thread: at }));
        try {
          // The recorder must exist before mail from a third thread reaches its thread (the test at the end checks mail that does not wait).
          await recorder.ask({ type: 'dump' });
          await Promise.all(blasters.map((b, i) => b.ask({ type: 'blast', target: recorder, id: i, n: senders[i][1] })));
          const total = senders.reduce((n, [, k]) => n + k, 0);
          const seen = await waitFor(async () => {
            const d = await recorder.ask<{ from: number; seq: number }[]>({ type: 'dump' } as RecMsg);
            return d.length >= total ? d : null;
          }, `${total} messages at the recorder`);
          assert.equal(seen.length, total, 'no duplicates');
          const next = senders.map(() => 0);
          for (const { from, seq } of seen) {
            assert.equal(seq, next[from], `sender ${from}: expected #${next[from]}, got #${seq}`);
            next[from]++;
          }
          assert.deepEqual(next, senders.map(([, k]) => k));
        } finally {
          await Promise.all([recorder, ...blasters].map((r) => sys.stopActor(r)));
        }
      },
    ),
    { numRuns: 8 },
  );
});

test('FIFO holds for a sender interleaving tells, asks and priority-0 mail to one actor on another thread', async () => {
  const recorder = sys.spawn(Recorder, { name: 'mixed', props: undefined, thread: 1 });
  try {
    // From outside any actor (the main thread), mixing the batched run encoding with asks.
    const asks: Promise<unknown>[] = [];
    for (let i = 0; i < 500; i++) {
      if (i % 7 === 0) asks.push(recorder.ask({ type: 'rec', from: 0, seq: i }).catch(() => null));
      else recorder.tell({ type: 'rec', from: 0, seq: i }, i % 11 === 0 ? { priority: 0 } : undefined);
    }
    const seen = await waitFor(async () => {
      const d = await recorder.ask<{ seq: number }[]>({ type: 'dump' });
      return d.length >= 500 ? d : null;
    }, '500 messages');
    assert.deepEqual(seen.map((x) => x.seq), Array.from({ length: 500 }, (_, i) => i));
  } finally {
    await sys.stopActor(recorder);
  }
});

test(
  'mail from a third thread to a just-spawned actor is not lost (it waits for the spawn)',
  async () => {
    const recorder = sys.spawn(Recorder, { name: 'fresh', props: undefined, thread: 1 });
    const blaster = sys.spawn(Blaster, { name: 'fresh-b', props: undefined, thread: 0 });
    try {
      await blaster.ask({ type: 'blast', target: recorder, id: 0, n: 3000 });
      const seen = await waitFor(async () => {
        const d = await recorder.ask<{ seq: number }[]>({ type: 'dump' });
        return d.length >= 3000 ? d : null;
      }, '3000 messages', 1000);
      assert.equal(seen.length, 3000);
    } finally {
      await Promise.all([recorder, blaster].map((r) => sys.stopActor(r)));
    }
  },
);
