// The connection's reorder window (dispatcher.md §5.4), model-tested: replies answered in any
// order leave in seq order, each exactly once, never more than `max` seqs open, and a late or
// duplicate answer is refused; a seq passed while the window is idle (written by the caller) keeps the order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReorderWindow } from '../../actors/dispatcher/window.ts';

type Op = { k: 'open' } | { k: 'answered' } | { k: 'pass' } | { k: 'answer'; pick: number } | { k: 'take' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ k: 'open' }),
  fc.constant<Op>({ k: 'answered' }),
  fc.constant<Op>({ k: 'pass' }),
  fc.nat(1000).map<Op>((pick) => ({ k: 'answer', pick })),
  fc.constant<Op>({ k: 'take' }),
);

const reply = (seq: number): Buffer => Buffer.from(String(seq));

test('replies leave in seq order, each once, within the in-flight limit', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 300 }), (max, ops) => {
      const w = new ReorderWindow<string>(max);
      const waiting: number[] = []; // model: open seqs without a reply
      const written: number[] = [];
      const out: Buffer[] = [];
      for (const o of ops) {
        if (o.k === 'open' || o.k === 'answered') {
          if (w.full) continue;
          const expect = w.nextSeq;
          const seq = o.k === 'open' ? w.open(`req${expect}`, 0) : w.openAnswered(reply(expect));
          assert.equal(seq, expect);
          if (o.k === 'open') {
            waiting.push(seq);
            assert.equal(w.request(seq), `req${seq}`);
          }
        } else if (o.k === 'pass') {
          // Answered at once and written by the caller: only while nothing is open or unwritten.
          assert.equal(w.idle, w.inFlight === 0);
          if (!w.idle) continue;
          const expect = w.nextSeq;
          assert.equal(w.pass(), expect);
          written.push(expect);
          assert.ok(!w.waiting(expect));
        } else if (o.k === 'answer') {
          if (waiting.length === 0) continue;
          const seq = waiting.splice(o.pick % waiting.length, 1)[0];
          assert.ok(w.waiting(seq));
          w.answer(seq, reply(seq));
          assert.ok(!w.waiting(seq), 'an answered seq refuses a second answer');
        } else {
          const n = w.takeReady(out);
          for (let i = 0; i < n; i++) written.push(Number(out[i].toString()));
        }
        assert.ok(w.inFlight <= max);
        assert.equal(w.full, w.inFlight >= max);
      }
      // Answer the rest and drain: everything comes out, in order, once.
      for (const seq of waiting) w.answer(seq, reply(seq));
      const n = w.takeReady(out);
      for (let i = 0; i < n; i++) written.push(Number(out[i].toString()));
      assert.deepEqual(written, Array.from({ length: w.nextSeq }, (_, i) => i));
      assert.equal(w.inFlight, 0);
      assert.ok(!w.waiting(0) || w.nextSeq === 0, 'a written seq is not waiting');
    }),
    { numRuns: 300 },
  );
});

test('takeReady stops at the first unanswered seq', () => {
  const w = new ReorderWindow<string>(4);
  const a = w.open('a', 0);
  const b = w.openAnswered(reply(1));
  const out: Buffer[] = [];
  assert.equal(w.takeReady(out), 0, 'seq 0 has no reply yet');
  w.answer(a, reply(0));
  assert.equal(w.takeReady(out), 2);
  assert.deepEqual(out.map(String), ['0', '1']);
  assert.equal(b, 1);
  assert.equal(w.deadline(w.open('c', 1234)), 1234);
});

test('a request is kept only while it waits: answering lets it go, an immediate answer never holds one', () => {
  const w = new ReorderWindow<string>(2);
  const out: Buffer[] = [];
  for (let i = 0; i < 10; i++) {
    const a = w.open(`req${i}`, 1000 + i);
    assert.equal(w.request(a), `req${i}`);
    assert.equal(w.deadline(a), 1000 + i);
    w.answer(a, reply(a));
    assert.equal(w.request(a), undefined, 'answered: the request is let go');
    const b = w.openAnswered(reply(a + 1));
    assert.equal(w.request(b), undefined);
    assert.ok(!w.waiting(b));
    assert.equal(w.takeReady(out), 2);
    assert.deepEqual(out.slice(0, 2).map(String), [String(a), String(a + 1)]);
  }
});
