// The broker's batch frames on the link (publish-batch, reply-batch, deliver-batch): truncation,
// garbage and mutations, the frame cap and strict layouts (round trips and streams split anywhere
// are broker.test.ts's frame properties, whose frames include these).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../protocols/errors.ts';
import { BrokerStreamDecoder, decodeBrokerFrame, encodeBrokerFrame, type BrokerFrame, type PublishBatchFrame } from '../../protocols/broker/index.ts';
import { mutate, mutationArb, onlyProtocolError, run, RUNS, split, assertDecodeErrors } from './helpers.ts';
import { batchArb } from './broker-batch-arbs.ts';

const payload = (f: BrokerFrame): Buffer => encodeBrokerFrame(f).subarray(4);

describe('broker batch frames', () => {
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
      fc.tuple(fc.constantFrom(0x09, 0x85, 0x86, 0x87), fc.uint8Array({ maxLength: 60 })).map(([op, rest]) => Buffer.from([op, ...rest])),
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
    assertDecodeErrors(decodeBrokerFrame, cases);
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
