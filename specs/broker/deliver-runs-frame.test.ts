// The deliver-runs link frame (protocols/broker, opcode 0x87): its strict layouts (its round trip,
// split streams, truncations, garbage and cap are the batch frames' properties, over its arbitrary
// in specs/protocols/broker-batch-arbs.ts); and the server's DeliveryBatcher: the frames it sends
// name every push once, per id in FIFO order.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeBrokerFrame, encodeBrokerFrame, type BrokerFrame, type DeliverRunsFrame } from '../../protocols/broker/index.ts';
import { ProtocolError } from '../../protocols/errors.ts';
import { DeliveryBatcher, type LbSink } from '../../actors/broker/server/deliveries.ts';
import type { Msg, Topic } from '../../actors/broker/server/state.ts';
import { assertDecodeErrors, onlyProtocolError, RUNS } from '../protocols/helpers.ts';

describe('deliver-runs frame', () => {
  it('strict layouts: the encoder and the decoder refuse runs outside the messages, empty runs, id 0, a bad topic index', () => {
    const ok: DeliverRunsFrame = { type: 'deliver-runs', topics: ['t'], msgs: [{ topic: 0, msg: 'a' }, { topic: 0, msg: 'b' }], runs: [1, 5, 0, 2] };
    encodeBrokerFrame(ok);
    for (const bad of [
      { ...ok, runs: [1, 5, 1, 2] },
      { ...ok, runs: [1, 5, 0, 0] },
      { ...ok, runs: [0, 5, 0, 1] },
      { ...ok, runs: [] },
      { ...ok, runs: [1, 5, 0] },
      { ...ok, runs: [1, Number.MAX_SAFE_INTEGER, 0, 2] },
      { ...ok, msgs: [{ topic: 1, msg: 'a' }] , runs: [1, 1, 0, 1] },
      { ...ok, topics: [] },
      { ...ok, msgs: [] },
    ] as DeliverRunsFrame[]) {
      assert.ok(onlyProtocolError(() => encodeBrokerFrame(bad)) instanceof ProtocolError, JSON.stringify(bad));
    }
    // topics 1 ["t"], messages 1 (topic 0, "a"), then one run
    const head = [0x87, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0x61];
    const runOf = (id: number, seq: number, first: number, count: number): number[] => [0, 0, 0, 0, 0, 0, 0, id, 0, 0, 0, 0, 0, 0, 0, seq, 0, 0, 0, first, 0, 0, 0, count];
    assertDecodeErrors((b) => decodeBrokerFrame(b), [
      ['deliver-runs of no run', [...head, 0, 0, 0, 0], 'invalid-field', 17],
      ['a run past the messages', [...head, 0, 0, 0, 1, ...runOf(1, 1, 0, 2)], 'invalid-field', 21],
      ['an empty run', [...head, 0, 0, 0, 1, ...runOf(1, 1, 0, 0)], 'invalid-field', 21],
      ['a run for id 0', [...head, 0, 0, 0, 1, ...runOf(0, 1, 0, 1)], 'invalid-field', 21],
      ['runs cut short', [...head, 0, 0, 0, 2, ...runOf(1, 1, 0, 1)], 'truncated', 21],
      ['bytes after the runs', [...head, 0, 0, 0, 1, ...runOf(1, 1, 0, 1), 0], 'trailing-bytes', 45],
    ]);
  });
});

/** A sink that records the frames it gets, encoded and decoded as the link would. */
class FrameSink implements LbSink {
  frames: DeliverRunsFrame[] = [];
  reply(): void {}
  deliver(f: BrokerFrame): void {
    this.frames.push(decodeBrokerFrame(encodeBrokerFrame(f, { maxFrameBytes: 4096 }).subarray(4)) as DeliverRunsFrame);
  }
}

describe('DeliveryBatcher', () => {
  it("one turn's pushes leave as deliver-runs frames under the cap, each push once, each id's seqs in order, to its own local broker", () => {
    const pushArb = fc.array(fc.record({ gid: fc.integer({ min: 1, max: 4 }), msg: fc.integer({ min: 0, max: 7 }), size: fc.integer({ min: 0, max: 900 }) }, { noNullPrototype: true }), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(pushArb, (pushes) => {
        const topics: Topic[] = [0, 1].map((tid) => ({ tid, name: `t${tid}`, subs: new Set(), members: null }));
        const msgs = new Map<number, Msg>();
        const batcher = new DeliveryBatcher(4096);
        // two local brokers: odd ids on one, even on the other (a message may go to both in a turn)
        const sinks = [new FrameSink(), new FrameSink()];
        const nextSeq = new Map<number, number>();
        const want: [number, number, string][] = [];
        for (const p of pushes) {
          let m = msgs.get(p.msg);
          if (!m) msgs.set(p.msg, (m = { mid: p.msg, topic: topics[p.msg % 2], msg: String(p.msg).repeat(p.size % 600), bytes: 0, refs: 1, out: null, outIdx: 0 }));
          m.bytes = Buffer.byteLength(m.msg);
          const seq = (nextSeq.get(p.gid) ?? 0) + 1;
          nextSeq.set(p.gid, seq);
          batcher.add(sinks[p.gid % 2], m, p.gid, seq);
          want.push([p.gid, seq, m.msg]);
        }
        batcher.send();
        for (const k of [0, 1]) for (const f of sinks[k].frames) for (let j = 0; j < f.runs.length; j += 4) assert.equal(f.runs[j] % 2, k, 'a run goes to its id\'s local broker');
        const got: [number, number, string][] = [];
        for (const f of [...sinks[0].frames, ...sinks[1].frames]) {
          for (let j = 0; j < f.runs.length; j += 4) for (let k = 0; k < f.runs[j + 3]; k++) got.push([f.runs[j], f.runs[j + 1] + k, f.msgs[f.runs[j + 2] + k].msg]);
        }
        const byGid = (xs: [number, number, string][]) => [1, 2, 3, 4].map((g) => xs.filter((x) => x[0] === g));
        assert.deepEqual(byGid(got), byGid(want));
      }),
      { numRuns: RUNS },
    );
  });
});
