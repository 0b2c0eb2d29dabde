// The local broker's Inbox (actors/broker/local/inbox.ts) against a reference model: random
// sequences of pushed runs (with duplicates and gaps), recv takes, parked recvs (taking or gone),
// untakes, a stream attached with a credit window, cumulative acks, detaches and topic purges.
// After every step the inbox hands out exactly what the model says, in the same order.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Delivery } from '../../protocols/broker/index.ts';
import { Inbox, type StreamSink } from '../../actors/broker/local/inbox.ts';
import type { Run } from '../../actors/broker/local/runs.ts';

type Cmd =
  | { k: 'push'; topic: string; n: number; back: number; gap: number }
  | { k: 'take' }
  | { k: 'park'; alive: boolean }
  | { k: 'untake' }
  | { k: 'attach'; credit: number }
  | { k: 'ack'; upTo: number }
  | { k: 'detach' }
  | { k: 'purge'; topic: string };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('push' as const), topic: fc.constantFrom('a', 'b'), n: fc.integer({ min: 1, max: 6 }), back: fc.integer({ min: 0, max: 3 }), gap: fc.integer({ min: 1, max: 2 }) }, { noNullPrototype: true }) },
  { weight: 2, arbitrary: fc.constant({ k: 'take' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('park' as const), alive: fc.boolean() }, { noNullPrototype: true }) },
  { weight: 1, arbitrary: fc.constant({ k: 'untake' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('attach' as const), credit: fc.integer({ min: 1, max: 5 }) }, { noNullPrototype: true }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('ack' as const), upTo: fc.integer({ min: 0, max: 4 }) }, { noNullPrototype: true }) },
  { weight: 1, arbitrary: fc.constant({ k: 'detach' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('purge' as const), topic: fc.constantFrom('a', 'b') }, { noNullPrototype: true }) },
);

describe('Inbox against a reference model', () => {
  it('hands out every pushed message once, in seq order, under the stream credit, across takes, acks, detaches and purges', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 60 }), (cmds) => {
        const box = new Inbox(1, 1);
        // the model: waiting messages, the stream's unacknowledged ones, the last seq seen, the consumed mark
        let waiting: Delivery[] = [];
        let inflight: Delivery[] = [];
        let credit = 0;
        let lastSeq = 0;
        let consumed = 0;
        let nextSeq = 1;
        let lastTaken: { d: Delivery; prev: number } | null = null;
        const parked: boolean[] = [];
        // what the real inbox handed to its stream and its parked recvs
        let streamed: Delivery[] = [];
        const sink: StreamSink = {
          get credit() {
            return credit;
          },
          offer(r: Run) {
            for (let k = r.from; k < r.to; k++) streamed.push({ topic: r.topic, msg: r.texts[k], seq: r.seq + (k - r.from) });
          },
          end() {},
        };
        const pump = (): void => {
          while (box.stream !== null && inflight.length < credit && waiting.length > 0) inflight.push(waiting.shift() as Delivery);
        };
        for (const c of cmds) {
          if (c.k === 'push') {
            // a run that may repeat seqs already held (a resend after a reconnect)
            const first = Math.max(1, nextSeq - c.back);
            const texts = Array.from({ length: c.n }, (_, i) => `${c.topic}${first + i}`);
            const run: Run = { topic: c.topic, texts, from: 0, to: c.n, seq: first };
            const takenReal: Delivery[] = [];
            box.push(run, (d) => takenReal.push(d));
            const takenModel: Delivery[] = [];
            for (let i = 0; i < c.n; i++) {
              const d = { topic: c.topic, msg: texts[i], seq: first + i };
              if (d.seq <= lastSeq) continue;
              lastSeq = d.seq;
              let took = false;
              while (parked.length > 0 && !took) {
                if (parked.shift()) {
                  took = true;
                  takenModel.push(d);
                  consumed = d.seq;
                }
              }
              if (!took) waiting.push(d);
            }
            nextSeq = Math.max(nextSeq, first + c.n) + c.gap - 1;
            pump();
            assert.deepEqual(takenReal, takenModel, 'parked recvs took these');
          } else if (c.k === 'take') {
            if (box.stream !== null || parked.length > 0) continue; // the local broker never takes then
            const prev = box.consumed;
            const d = box.take();
            const want = waiting.shift() ?? null;
            assert.deepEqual(d, want);
            if (want) {
              consumed = want.seq;
              lastTaken = { d: want, prev };
            }
          } else if (c.k === 'park') {
            if (box.stream !== null) continue;
            if (box.size > 0) continue; // a recv parks only on an empty inbox
            const alive = c.alive;
            parked.push(alive);
            box.park({ timer: null, deliver: (d) => d !== null && alive });
          } else if (c.k === 'untake') {
            if (lastTaken === null || box.stream !== null) continue;
            const ok = box.untake(lastTaken.d, lastTaken.prev);
            const wantOk: boolean = consumed === lastTaken.d.seq;
            assert.equal(ok, wantOk);
            if (wantOk) {
              consumed = lastTaken.prev;
              waiting.unshift(lastTaken.d);
            }
            lastTaken = null;
          } else if (c.k === 'attach') {
            if (box.stream !== null || parked.length > 0) continue;
            credit = c.credit;
            box.attach(sink);
            pump();
          } else if (c.k === 'ack') {
            if (box.stream === null) continue;
            const seq = inflight.length > 0 ? inflight[Math.min(c.upTo, inflight.length - 1)].seq : lastSeq;
            const got = box.ack(seq);
            let n = 0;
            while (n < inflight.length && inflight[n].seq <= seq) n++;
            if (n > 0) consumed = inflight[n - 1].seq;
            assert.equal(got, n > 0 ? consumed : 0);
            inflight = inflight.slice(n);
            pump();
          } else if (c.k === 'detach') {
            if (box.stream === null) continue;
            box.detach();
            waiting = [...inflight, ...waiting];
            inflight = [];
            streamed = [];
          } else {
            box.purgeTopic(c.topic);
            waiting = waiting.filter((d) => d.topic !== c.topic);
            inflight = inflight.filter((d) => d.topic !== c.topic);
            pump(); // credit the purge freed is used at once (no ack would bring those messages)
          }
          assert.equal(box.size, waiting.length, `${waiting.length} waiting after ${c.k}`);
          assert.equal(box.consumed, consumed, `consumed mark after ${c.k}`);
          assert.equal(box.lastSeq, lastSeq);
          if (box.stream !== null) {
            // the stream got every message in flight, each once, in seq order
            const seqs = streamed.map((d) => d.seq);
            for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], 'streamed in seq order, once each');
            for (const d of inflight) assert.ok(streamed.some((x) => x.seq === d.seq && x.msg === d.msg), `seq ${d.seq} was streamed`);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});
