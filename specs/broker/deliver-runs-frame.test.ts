// The deliver-runs link frame (protocols/broker, opcode 0x87): round trips, streams of frames
// split anywhere, every truncation, garbage and mutations, the frame cap and strict layouts; and
// the server's DeliveryBatcher: the frames it sends name every push once, per id in FIFO order.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BrokerStreamDecoder, decodeBrokerFrame, encodeBrokerFrame, type BrokerFrame, type DeliverRunsFrame } from '../../protocols/broker/index.ts';
import { ProtocolError } from '../../protocols/errors.ts';
import { DeliveryBatcher, type LbSink } from '../../actors/broker/server/deliveries.ts';
import type { Msg, Topic } from '../../actors/broker/server/state.ts';
import { assertDecodeErrors, concat, cutPositions, cutsArb, mutate, mutationArb, onlyProtocolError, run, RUNS, split } from '../protocols/helpers.ts';

const text = fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed());

const deliverRuns: fc.Arbitrary<DeliverRunsFrame> = fc
  .tuple(fc.array(text, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 6 }))
  .chain(([topics, n]) =>
    fc.record(
      {
        type: fc.constant('deliver-runs' as const),
        topics: fc.constant(topics),
        msgs: fc.array(fc.record({ topic: fc.integer({ min: 0, max: topics.length - 1 }), msg: text }, { noNullPrototype: true }), { minLength: n, maxLength: n }),
        runs: fc
          .array(
            fc.tuple(fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: n - 1 })).chain(([id, seq, first]) =>
              fc.integer({ min: 1, max: n - first }).map((count) => [id, seq, first, count]),
            ),
            { minLength: 1, maxLength: 5 },
          )
          .map((rs) => rs.flat()),
      },
      { noNullPrototype: true },
    ),
  );

const payload = (f: BrokerFrame): Buffer => encodeBrokerFrame(f).subarray(4);

describe('deliver-runs frame', () => {
  it('round trip', () => {
    fc.assert(
      fc.property(deliverRuns, (f) => assert.deepEqual(decodeBrokerFrame(payload(f)), f)),
      { numRuns: RUNS },
    );
  });

  it('a stream of frames split anywhere decodes to the same frames', () => {
    fc.assert(
      fc.property(fc.array(deliverRuns, { minLength: 1, maxLength: 4 }), cutsArb, (frames, cuts) => {
        const bytes = concat(frames.map((f) => encodeBrokerFrame(f)));
        const out = run(new BrokerStreamDecoder(), split(bytes, cutPositions(cuts, bytes.length)));
        assert.equal(out.error, null);
        assert.deepEqual(out.frames, frames);
      }),
      { numRuns: RUNS },
    );
  });

  it('every truncation is a ProtocolError, never a frame', () => {
    fc.assert(
      fc.property(deliverRuns, (f) => {
        const p = payload(f);
        for (let n = 0; n < p.length; n++) assert.ok(onlyProtocolError(() => decodeBrokerFrame(p.subarray(0, n))) instanceof ProtocolError, `cut at ${n}`);
      }),
      { numRuns: RUNS / 4 },
    );
  });

  it('garbage and mutated frames give a frame that re-encodes to the same bytes, or a ProtocolError', () => {
    const bytes = fc.oneof(
      fc.tuple(deliverRuns, mutationArb).map(([f, m]) => mutate(payload(f), m)),
      fc.uint8Array({ maxLength: 80 }).map((rest) => Buffer.from([0x87, ...rest])),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        onlyProtocolError(() => {
          const f = decodeBrokerFrame(b);
          assert.deepEqual([...payload(f)], [...b]);
        });
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('the frame cap holds on encode and on the stream', () => {
    const big: DeliverRunsFrame = { type: 'deliver-runs', topics: ['t'], msgs: Array.from({ length: 10 }, () => ({ topic: 0, msg: 'x'.repeat(100) })), runs: [1, 1, 0, 10] };
    const size = encodeBrokerFrame(big).length - 4;
    assert.equal(encodeBrokerFrame(big, { maxFrameBytes: size }).length, size + 4);
    assert.equal(onlyProtocolError(() => encodeBrokerFrame(big, { maxFrameBytes: size - 1 }))?.code, 'frame-too-large');
    const d = new BrokerStreamDecoder({ maxFrameBytes: size - 1 });
    assert.deepEqual(d.push(encodeBrokerFrame(big)), []);
    assert.equal(d.error?.code, 'frame-too-large');
  });

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
