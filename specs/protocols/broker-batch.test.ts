// Publish batches on the client <-> local broker socket (protocols/broker/json-batch.ts): batch
// lines and batch replies round-trip through the same entry points as every other line, and
// mangled lines throw ProtocolError only (never anything else, never a wrong value).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../protocols/errors.ts';
import { decodeClientLine, decodeLbLine, encodeBatchReply, encodePublishBatch, MAX_PUBLISH_BATCH } from '../../protocols/broker/index.ts';

const text = fc.string({ unit: 'binary', maxLength: 30 });

function onlyProtocolError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
}

const batchArb = fc.record({ rid: fc.integer({ min: 1, max: 0xffff_0000 }), id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), topic: text, msgs: fc.array(text, { minLength: 1, maxLength: 20 }) }, { noNullPrototype: true });

/** Statuses with a description for each failure, by index. */
const replyArb = fc.array(fc.oneof(fc.integer({ min: 0, max: 1000 }).map((s) => [s, null] as const), fc.tuple(fc.integer({ min: -10, max: -1 }), fc.string({ minLength: 1, maxLength: 20 }))), { minLength: 1, maxLength: 20 }).chain((rs) =>
  fc.record({ batch: fc.integer({ min: 1, max: 0xffff_ffff }), status: fc.constant(rs.map((r) => r[0])), errors: fc.constant(rs.flatMap((r, i) => (r[1] === null ? [] : [[i, r[1]] as [number, string]]))) }, { noNullPrototype: true }),
);

describe('broker publish batch lines', () => {
  it('a batch line round-trips through decodeClientLine', () => {
    fc.assert(fc.property(batchArb, (b) => assert.deepEqual(decodeClientLine(encodePublishBatch(b)), { type: 'publish-batch', ...b })));
  });

  it('a batch reply round-trips through decodeLbLine', () => {
    fc.assert(fc.property(replyArb, (r) => assert.deepEqual(decodeLbLine(encodeBatchReply(r)), { type: 'batch-reply', ...r })));
  });

  it('shape errors are ProtocolErrors', () => {
    const bad = [
      { rid: 1, op: 'publish-batch', id: 1, topic: 't', msgs: [] },
      { rid: 1, op: 'publish-batch', id: 1, topic: 't', msgs: [1] },
      { rid: 1, op: 'publish-batch', id: 1, topic: 't', msgs: 'x' },
      { rid: 0xffff_ffff, op: 'publish-batch', id: 1, topic: 't', msgs: ['a', 'b'] },
      { rid: 1, op: 'publish-batch', id: '1', topic: 't', msgs: ['a'] },
      { rid: 1, op: 'publish-batch', id: 1, msgs: ['a'] },
      { rid: 1, op: 'publish-batch', id: 1, topic: 't', msgs: ['a'], msg: 'x' },
      { rid: 1, op: 'publish-batch', id: 1, topic: 't', msgs: Array(MAX_PUBLISH_BATCH + 1).fill('a') },
    ];
    for (const o of bad) assert.throws(() => decodeClientLine(JSON.stringify(o)), ProtocolError, JSON.stringify(o).slice(0, 80));
    const badReplies = [
      { batch: 1, status: [] },
      { batch: 1, status: [-3] },
      { batch: 1, status: [1], errors: [[0, 'x']] },
      { batch: 1, status: [-3], errors: [[1, 'x']] },
      { batch: 1, status: [-3], errors: [[0, '']] },
      { batch: 0, status: [1] },
      { batch: 1, status: [1.5] },
      { batch: 1, status: [1], extra: 1 },
    ];
    for (const o of badReplies) assert.throws(() => decodeLbLine(JSON.stringify(o)), ProtocolError, JSON.stringify(o));
  });

  it('mangled batch lines give a value or a ProtocolError, nothing else', () => {
    fc.assert(
      fc.property(batchArb, fc.nat(), fc.string({ maxLength: 3 }), (b, at, junk) => {
        const line = encodePublishBatch(b);
        const i = at % (line.length + 1);
        onlyProtocolError(() => decodeClientLine(line.slice(0, i) + junk + line.slice(i)));
        onlyProtocolError(() => decodeLbLine(line.slice(0, i) + junk + line.slice(i)));
      }),
    );
  });
});
