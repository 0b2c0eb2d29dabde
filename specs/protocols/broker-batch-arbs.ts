// Arbitraries of the broker's batch link frames (publish-batch, reply-batch, deliver-batch,
// deliver-runs), shared by the frame-level properties (broker.test.ts: round trip, split streams)
// and the batch-specific ones (broker-batch-frames.test.ts: truncation, garbage, caps, strict
// layouts; specs/broker/deliver-runs-frame.test.ts: deliver-runs' own layout rules).

import fc from 'fast-check';
import type { BrokerFrame, DeliverBatchFrame, DeliverRunsFrame, PublishBatchFrame, ReplyBatchFrame } from '../../protocols/broker/index.ts';

const rid = fc.integer({ min: 1, max: 0xffff_ffff });
const id = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
const seq = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const text = fc.string({ unit: 'binary', maxLength: 40 });

export const publishBatch: fc.Arbitrary<PublishBatchFrame> = fc.record(
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
export const replyBatch: fc.Arbitrary<ReplyBatchFrame> = fc.record({ type: fc.constant('reply-batch' as const), rid, runs: fc.array(run_, { minLength: 1, maxLength: 5 }) }, { noNullPrototype: true });

export const deliverBatch: fc.Arbitrary<DeliverBatchFrame> = fc.array(text, { minLength: 1, maxLength: 4 }).chain((topics) =>
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

/** Well-formed texts: a deliver-runs frame carries only texts the server has decoded. */
const wellFormed = fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed());

export const deliverRuns: fc.Arbitrary<DeliverRunsFrame> = fc
  .tuple(fc.array(wellFormed, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 6 }))
  .chain(([topics, n]) =>
    fc.record(
      {
        type: fc.constant('deliver-runs' as const),
        topics: fc.constant(topics),
        msgs: fc.array(fc.record({ topic: fc.integer({ min: 0, max: topics.length - 1 }), msg: wellFormed }, { noNullPrototype: true }), { minLength: n, maxLength: n }),
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

export const batchArb: fc.Arbitrary<BrokerFrame> = fc.oneof(publishBatch, replyBatch, deliverBatch, deliverRuns);

