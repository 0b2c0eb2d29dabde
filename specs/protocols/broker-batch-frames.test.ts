// The broker's batch frames on the link (publish-batch, reply-batch, deliver-batch): round trips,
// streams split anywhere, truncation, garbage and mutations, and the frame cap.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../protocols/errors.ts';
import { BrokerStreamDecoder, decodeBrokerFrame, encodeBrokerFrame, type BrokerFrame, type DeliverBatchFrame, type PublishBatchFrame, type ReplyBatchFrame } from '../../protocols/broker/index.ts';
import { concat, cutPositions, cutsArb, mutate, mutationArb, onlyProtocolError, run, RUNS, split } from './helpers.ts';

const rid = fc.integer({ min: 1, max: 0xffff_ffff });
const id = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
const seq = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const text = fc.string({ unit: 'binary', maxLength: 40 });

const publishBatch: fc.Arbitrary<PublishBatchFrame> = fc.record(
  { type: fc.constant('publish-batch' as const), rid, id, topic: text, msgs: fc.array(text, { minLength: 1, maxLength: 8 }) },
  { noNullPrototype: true },
);

const run_ = fc.oneof(
  fc.record({ count: fc.integer({ min: 1, max: 0xffff }), status: fc.integer({ min: 0, max: 1000 }), description: text }, { noNullPrototype: true }),
  fc.record(
    { count: fc.integer({ min: 1, max: 0xffff }), status: fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: -1 }), description: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }) },
    { noNullPrototype: true },
  ),
);
const replyBatch: fc.Arbitrary<ReplyBatchFrame> = fc.record({ type: fc.constant('reply-batch' as const), rid, runs: fc.array(run_, { minLength: 1, maxLength: 5 }) }, { noNullPrototype: true });

const deliverBatch: fc.Arbitrary<DeliverBatchFrame> = fc.array(text, { minLength: 1, maxLength: 4 }).chain((topics) =>
  fc.record(
    {
      type: fc.constant('deliver-batch' as const),
      topics: fc.constant(topics),
      msgs: fc.array(
        fc.record(
          { topic: fc.integer({ min: 0, max: topics.length - 1 }), msg: text, to: fc.array(fc.tuple(id, seq), { minLength: 1, maxLength: 5 }).map((p) => p.flat()) },
          { noNullPrototype: true },
        ),
        { minLength: 1, maxLength: 6 },
      ),
    },
    { noNullPrototype: true },
  ),
);

const batchArb: fc.Arbitrary<BrokerFrame> = fc.oneof(publishBatch, replyBatch, deliverBatch);

const payload = (f: BrokerFrame): Buffer => encodeBrokerFrame(f).subarray(4);

describe('broker batch frames', () => {
  it('decode(encode(frame)) is the identity', () => {
    fc.assert(
      fc.property(batchArb, (f) => {
        const wire = encodeBrokerFrame(f);
        assert.equal(wire.readUInt32BE(0), wire.length - 4);
        assert.deepEqual(decodeBrokerFrame(wire.subarray(4)), f);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('a stream of batch frames split anywhere decodes to the same frames', () => {
    fc.assert(
      fc.property(fc.array(batchArb, { maxLength: 6 }), cutsArb, (frames, cuts) => {
        const wire = concat(frames.map((f) => encodeBrokerFrame(f)));
        const out = run(new BrokerStreamDecoder(), split(wire, cutPositions(cuts, wire.length)));
        assert.deepEqual(out.frames, frames);
        assert.equal(out.error, null);
      }),
      { numRuns: RUNS },
    );
  });

  it('every truncation of a batch frame is a ProtocolError (truncated or a bad field), never a frame', () => {
    fc.assert(
      fc.property(batchArb, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (f, at) => {
        const p = payload(f);
        const cut = p.subarray(0, Math.floor(at * p.length));
        const err = onlyProtocolError(() => decodeBrokerFrame(cut));
        assert.ok(err instanceof ProtocolError);
        assert.ok(err.offset === undefined || (err.offset >= 0 && err.offset <= cut.length));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('garbage and mutated batch frames give a frame that re-encodes to the same bytes, or a ProtocolError', () => {
    const bytes = fc.oneof(
      fc.tuple(batchArb, mutationArb).map(([f, m]) => mutate(payload(f), m)),
      fc.tuple(fc.constantFrom(0x09, 0x85, 0x86), fc.uint8Array({ maxLength: 60 })).map(([op, rest]) => Buffer.from([op, ...rest])),
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
    const big: PublishBatchFrame = { type: 'publish-batch', rid: 1, id: 1, topic: 't', msgs: Array.from({ length: 10 }, () => 'x'.repeat(100)) };
    const size = encodeBrokerFrame(big).length - 4;
    assert.equal(encodeBrokerFrame(big, { maxFrameBytes: size }).length, size + 4);
    assert.equal(onlyProtocolError(() => encodeBrokerFrame(big, { maxFrameBytes: size - 1 }))?.code, 'frame-too-large');
    const d = new BrokerStreamDecoder({ maxFrameBytes: size - 1 });
    assert.deepEqual(d.push(encodeBrokerFrame(big)), []);
    assert.equal(d.error?.code, 'frame-too-large');
  });

  it('strict decoding of the batch layouts', () => {
    const cases: [string, number[], string, number][] = [
      ['publish-batch of no message', [0x09, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 0], 'invalid-field', 16],
      ['publish-batch shorter than its count', [0x09, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 2, 0, 0, 0, 0], 'truncated', 24],
      ['reply-batch of no run', [0x85, 0, 0, 0, 1, 0, 0, 0, 0], 'invalid-field', 5],
      ['reply-batch error run without description', [0x85, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0], 'invalid-field', 13],
      ['deliver-batch of no topic', [0x86, 0, 0], 'invalid-field', 1],
      ['deliver-batch topic index out of range', [0x86, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 1], 'invalid-field', 10],
      ['deliver-batch message to nobody', [0x86, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'invalid-field', 16],
    ];
    for (const [name, bytes, code, offset] of cases) {
      const err = onlyProtocolError(() => decodeBrokerFrame(Buffer.from(bytes)));
      assert.ok(err instanceof ProtocolError, name);
      assert.equal(err.code, code, name);
      assert.equal(err.offset, offset, name);
    }
  });

  it('the encoder refuses what the decoder would refuse', () => {
    const bad: BrokerFrame[] = [
      { type: 'publish-batch', rid: 1, id: 1, topic: 't', msgs: [] },
      { type: 'publish-batch', rid: 0, id: 1, topic: 't', msgs: ['m'] },
      { type: 'publish-batch', rid: 1, id: 1, topic: 't', msgs: ['\ud800'] },
      { type: 'reply-batch', rid: 1, runs: [] },
      { type: 'reply-batch', rid: 1, runs: [{ count: 0, status: 1, description: '' }] },
      { type: 'reply-batch', rid: 1, runs: [{ count: 1, status: -5, description: '' }] },
      { type: 'deliver-batch', topics: [], msgs: [{ topic: 0, msg: 'm', to: [1, 1] }] },
      { type: 'deliver-batch', topics: ['t'], msgs: [] },
      { type: 'deliver-batch', topics: ['t'], msgs: [{ topic: 1, msg: 'm', to: [1, 1] }] },
      { type: 'deliver-batch', topics: ['t'], msgs: [{ topic: 0, msg: 'm', to: [1] }] },
      { type: 'deliver-batch', topics: ['t'], msgs: [{ topic: 0, msg: 'm', to: [0, 1] }] },
    ];
    for (const f of bad) assert.ok(onlyProtocolError(() => encodeBrokerFrame(f)) instanceof ProtocolError, JSON.stringify(f).slice(0, 80));
  });
});
