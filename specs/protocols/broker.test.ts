import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../protocols/errors.ts';
import {
  BROKER_ERRORS,
  brokerErrorName,
  BrokerStreamDecoder,
  decodeBrokerFrame,
  decodeJsonReply,
  decodeJsonRequest,
  encodeBrokerFrame,
  encodeJsonReply,
  encodeJsonRequest,
  parseId,
  validateRequest,
  validateTopic,
  validateMessage,
  type BrokerFrame,
  type BrokerReply,
  type BrokerRequest,
} from '../../protocols/broker/index.ts';
import { concat, cutPositions, cutsArb, mutate, mutationArb, onlyProtocolError, run, RUNS, split, assertDecodeErrors } from './helpers.ts';
import { batchArb } from './broker-batch-arbs.ts';

const rid = fc.integer({ min: 1, max: 0xffff_ffff });
const id = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
const seq = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const text = fc.string({ unit: 'binary', maxLength: 40 });
const topic = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,20}$/), text);

const requestArb: fc.Arbitrary<BrokerRequest> = fc.oneof(
  fc.record({ type: fc.constant('create' as const), rid }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('publish' as const), rid, id, topic, msg: text }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('subscribe' as const), rid, id, topic }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('unsubscribe' as const), rid, id, topic }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('recv' as const), rid, id, wait: fc.boolean(), timeoutMs: fc.integer({ min: 0, max: 0xffff_ffff }) }, { requiredKeys: ['type', 'rid', 'id', 'wait'], noNullPrototype: true }),
  fc.record({ type: fc.constant('destroy' as const), rid, id }, { noNullPrototype: true }),
);

const replyArb: fc.Arbitrary<BrokerReply> = fc.oneof(
  fc.record(
    { type: fc.constant('reply' as const), rid, status: seq, description: text, id, delivery: fc.record({ topic, msg: text, seq }, { noNullPrototype: true }) },
    { requiredKeys: ['type', 'rid', 'status', 'description'], noNullPrototype: true },
  ),
  fc.record({
    type: fc.constant('error' as const),
    rid: fc.integer({ min: 0, max: 0xffff_ffff }),
    code: fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: -1 }),
    description: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  }, { noNullPrototype: true }),
);

const frameArb: fc.Arbitrary<BrokerFrame> = fc.oneof(
  requestArb,
  replyArb,
  fc.record({ type: fc.constant('hello' as const), version: fc.constant(1), lbId: fc.uuid() }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('ack' as const), id, seq }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('deliver' as const), id, seq, topic, msg: text }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('fanout' as const), topic, msg: text, to: fc.array(fc.record({ id, seq }, { noNullPrototype: true }), { minLength: 1, maxLength: 6 }) }, { noNullPrototype: true }),
  batchArb,
);

function payload(f: BrokerFrame, maxFrameBytes?: number): Buffer {
  return encodeBrokerFrame(f, { maxFrameBytes }).subarray(4);
}

describe('broker binary frames', () => {
  it('decode(encode(frame)) is the identity for every frame type', () => {
    fc.assert(
      fc.property(frameArb, (f) => {
        const wire = encodeBrokerFrame(f);
        assert.equal(wire.readUInt32BE(0), wire.length - 4);
        assert.deepEqual(decodeBrokerFrame(wire.subarray(4)), f);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('a stream of frames split anywhere decodes to the same frames', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), cutsArb, (frames, cuts) => {
        const wire = concat(frames.map((f) => encodeBrokerFrame(f)));
        const out = run(new BrokerStreamDecoder(), split(wire, cutPositions(cuts, wire.length)));
        assert.deepEqual(out.frames, frames);
        assert.equal(out.error, null);
        assert.equal(out.end, null);
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary or mutated payloads give a frame or a ProtocolError, nothing else', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(frameArb, mutationArb).map(([f, m]) => mutate(payload(f), m)),
      fc.tuple(fc.constantFrom(...[1, 2, 3, 4, 5, 6, 7, 8, 0x81, 0x82, 0x83]), fc.uint8Array({ maxLength: 40 })).map(([op, rest]) => Buffer.from([op, ...rest])),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const err = onlyProtocolError(() => {
          const f = decodeBrokerFrame(b);
          // whatever decodes must re-encode to the same bytes (the format has one encoding per frame)
          assert.deepEqual([...payload(f)], [...b]);
        });
        if (err !== null) assert.ok(err.offset === undefined || (err.offset >= 0 && err.offset <= b.length));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('mutated streams: split or whole give the same outcome, memory stays bounded', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 5 }), mutationArb, cutsArb, (frames, m, cuts) => {
        const wire = mutate(concat(frames.map((f) => encodeBrokerFrame(f))), m);
        const whole = run(new BrokerStreamDecoder({ maxFrameBytes: 4096 }), [wire]);
        const parts = run(new BrokerStreamDecoder({ maxFrameBytes: 4096 }), split(wire, cutPositions(cuts, wire.length)));
        assert.deepEqual(parts, whole);
        const d = new BrokerStreamDecoder({ maxFrameBytes: 4096 });
        for (const c of split(wire, cutPositions(cuts, wire.length))) {
          d.push(c);
          assert.ok(d.buffered <= 4096 + 4);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('the PROTOCOL.md example bytes', () => {
    const wire = encodeBrokerFrame({ type: 'publish', rid: 7, id: 3, topic: 'news', msg: 'hi' });
    assert.equal(wire.toString('hex'), '00000019' + '03' + '00000007' + '0000000000000003' + '00046e657773' + '000000026869');
  });

  it('limits: maxFrameBytes on encode and on the stream', () => {
    const big = { type: 'publish' as const, rid: 1, id: 1, topic: 't', msg: 'x'.repeat(100) };
    const size = encodeBrokerFrame(big).length - 4;
    assert.equal(encodeBrokerFrame(big, { maxFrameBytes: size }).length, size + 4);
    assert.equal(onlyProtocolError(() => encodeBrokerFrame(big, { maxFrameBytes: size - 1 }))?.code, 'frame-too-large');
    const d = new BrokerStreamDecoder({ maxFrameBytes: size - 1 });
    assert.deepEqual(d.push(encodeBrokerFrame({ type: 'create', rid: 9 })), [{ type: 'create', rid: 9 }]);
    assert.deepEqual(d.push(encodeBrokerFrame(big)), []);
    assert.equal(d.error?.code, 'frame-too-large');
    assert.equal(d.error?.offset, 9);
  });

  it('strict decoding: each structural fault is a ProtocolError with a code and an offset', () => {
    const cases: [string, number[], string, number][] = [
      ['empty', [], 'empty-frame', 0],
      ['unknown opcode', [0x42], 'unknown-type', 0],
      ['truncated rid', [0x02, 0, 0], 'truncated', 1],
      ['rid 0', [0x02, 0, 0, 0, 0], 'invalid-field', 1],
      ['trailing bytes', [0x02, 0, 0, 0, 1, 9], 'trailing-bytes', 5],
      ['id 0', [0x07, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], 'invalid-field', 5],
      ['id above 2^53-1', [0x07, 0, 0, 0, 1, 0, 0x20, 0, 0, 0, 0, 0, 0], 'invalid-field', 5],
      ['negative id', [0x07, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 'invalid-field', 5],
      ['bad UTF-8 topic', [0x04, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0xff], 'invalid-field', 15],
      ['topic length past the end', [0x04, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 9, 0x61], 'truncated', 15],
      ['unknown recv flag', [0x06, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0], 'invalid-field', 13],
      ['timeout without flag', [0x06, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 5], 'invalid-field', 14],
      ['error without description', [0x82, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0], 'invalid-field', 13],
      ['error with a positive code', [0x82, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x61], 'invalid-field', 5],
      ['negative status', [0x81, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0], 'invalid-field', 5],
      ['unknown reply flag', [0x81, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8], 'invalid-field', 15],
      ['hello version 2', [0x01, 2, 1, 0x61], 'unsupported-version', 1],
      ['hello empty lbId', [0x01, 1, 0], 'invalid-field', 2],
      ['fanout to nobody', [0x84, 0, 1, 0x61, 0, 0, 0, 0, 0, 0], 'invalid-field', 8],
      ['fanout shorter than its count', [0x84, 0, 1, 0x61, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], 'truncated', 10],
      ['fanout to id 0', [0x84, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 'invalid-field', 9],
    ];
    assertDecodeErrors(decodeBrokerFrame, cases);
  });

  it('the encoder refuses what the decoder would refuse', () => {
    const bad: BrokerFrame[] = [
      { type: 'create', rid: 0 },
      { type: 'create', rid: 2 ** 32 },
      { type: 'destroy', rid: 1, id: 0 },
      { type: 'destroy', rid: 1, id: 2 ** 53 },
      { type: 'error', rid: 1, code: -1, description: '' },
      { type: 'error', rid: 1, code: 0, description: 'x' },
      { type: 'reply', rid: 1, status: -1, description: '' },
      { type: 'publish', rid: 1, id: 1, topic: 't', msg: '\ud800' },
      { type: 'recv', rid: 1, id: 1, wait: false, timeoutMs: -1 },
      { type: 'hello', version: 2, lbId: 'x' },
      { type: 'subscribe', rid: 1, id: 1, topic: 'x'.repeat(70000) },
      { type: 'fanout', topic: 't', msg: 'm', to: [] },
      { type: 'fanout', topic: 't', msg: 'm', to: [{ id: 0, seq: 1 }] },
    ];
    for (const f of bad) assert.ok(onlyProtocolError(() => encodeBrokerFrame(f)) instanceof ProtocolError, JSON.stringify(f).slice(0, 80));
  });

  it('error codes and names (broker.md §8)', () => {
    assert.equal(BROKER_ERRORS.UNKNOWN_ID, -1);
    assert.equal(BROKER_ERRORS.INTERNAL, -10);
    assert.equal(brokerErrorName(-9), 'PROTOCOL_ERROR');
    assert.equal(brokerErrorName(-42), 'ERROR_-42');
    const e = decodeBrokerFrame(payload({ type: 'error', rid: 5, code: -1, description: 'id 7 is not registered at this local broker' }));
    assert.deepEqual(e, { type: 'error', rid: 5, code: -1, description: 'id 7 is not registered at this local broker' });
  });
});

describe('broker JSON lines (CLI <-> LB)', () => {
  it('requests round-trip', () => {
    fc.assert(
      fc.property(requestArb, (r) => {
        const back = decodeJsonRequest(encodeJsonRequest(r));
        assert.deepEqual(back, r);
      }),
      { numRuns: RUNS },
    );
  });
  it('replies round-trip, and JSON and binary agree', () => {
    fc.assert(
      fc.property(replyArb, (r) => {
        fc.pre(r.type === 'reply' || r.rid >= 0);
        fc.pre(!(r.type === 'reply' && r.rid === 0));
        assert.deepEqual(decodeJsonReply(encodeJsonReply(r)), r);
        assert.deepEqual(decodeBrokerFrame(payload(r)), r);
      }),
      { numRuns: RUNS },
    );
  });
  it('request shape errors', () => {
    const cases: [string, string][] = [
      ['not json', 'malformed'],
      ['[1]', 'malformed'],
      ['{"rid":1,"op":"nope"}', 'unknown-type'],
      ['{"op":"create"}', 'invalid-field'],
      ['{"rid":0,"op":"create"}', 'invalid-field'],
      ['{"rid":1.5,"op":"create"}', 'invalid-field'],
      ['{"rid":1,"op":"create","id":1}', 'invalid-field'],
      ['{"rid":1,"op":"publish","id":1,"topic":"t"}', 'invalid-field'],
      ['{"rid":1,"op":"publish","id":"1","topic":"t","msg":"m"}', 'invalid-field'],
      ['{"rid":1,"op":"publish","id":1,"topic":5,"msg":"m"}', 'invalid-field'],
      ['{"rid":1,"op":"recv","id":1,"wait":"yes"}', 'invalid-field'],
      ['{"rid":1,"op":"recv","id":1,"timeoutMs":"5"}', 'invalid-field'],
      ['{"rid":1,"op":"destroy","id":1,"extra":true}', 'invalid-field'],
    ];
    for (const [line, code] of cases) assert.equal(onlyProtocolError(() => decodeJsonRequest(line))?.code, code, line);
    assert.deepEqual(decodeJsonRequest(Buffer.from('{"rid":3,"op":"recv","id":2,"wait":true,"timeoutMs":500}')), {
      type: 'recv', rid: 3, id: 2, wait: true, timeoutMs: 500,
    });
  });
  it('reply shape errors', () => {
    for (const line of [
      '{"rid":1,"status":-1,"description":""}',
      '{"rid":1,"status":-1,"description":"x","id":3}',
      '{"rid":1,"status":1,"description":"","topic":"t"}',
      '{"rid":0,"status":1,"description":""}',
      '{"rid":1,"status":"1","description":""}',
      '{"rid":1,"status":1}',
      '{"rid":1,"status":1,"description":"","x":1}',
    ]) {
      assert.ok(onlyProtocolError(() => decodeJsonReply(line)) instanceof ProtocolError, line);
    }
    assert.deepEqual(decodeJsonReply('{"rid":0,"status":-9,"description":"malformed request"}'), { type: 'error', rid: 0, code: -9, description: 'malformed request' });
  });
});

describe('broker argument rules (broker.md §6.2)', () => {
  it('topics', () => {
    assert.equal(validateTopic('general'), null);
    assert.equal(validateTopic('_a.b-c9'), null);
    assert.equal(validateTopic('x'.repeat(100)), null);
    assert.deepEqual(validateTopic('a/b'), { code: -2, description: `topic "a/b" contains '/' (allowed: A-Z a-z 0-9 . _ -)` });
    for (const t of ['', 'x'.repeat(101), '../x', '.hidden', '-x', '$(touch x)', 'a b', 'a\0b', 'é', '"q"']) {
      assert.equal(validateTopic(t)?.code, -2, t);
    }
  });
  it('messages: at the limit accepted, one byte over rejected with the sizes named', () => {
    assert.equal(validateMessage('x'.repeat(65536)), null);
    assert.deepEqual(validateMessage('x'.repeat(65537)), { code: -3, description: 'message is 65537 bytes; limit is 65536' });
    assert.equal(validateMessage('é'.repeat(32768)), null);
    assert.equal(validateMessage('é'.repeat(32768) + 'x')?.code, -3);
    assert.equal(validateMessage('\udc00')?.code, -4);
    assert.equal(validateMessage(''), null);
  });
  it('ids and timeouts', () => {
    assert.equal(parseId('42'), 42);
    assert.equal(parseId(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
    for (const t of ['0', '-1', '+1', ' 1', '1 ', '1.0', '', '9007199254740992', 'x']) {
      const r = parseId(t);
      assert.ok(typeof r === 'object' && r.code === -4, t);
    }
    assert.equal(validateRequest({ type: 'recv', rid: 1, id: 1, wait: true, timeoutMs: 86_400_000 }), null);
    assert.deepEqual(validateRequest({ type: 'recv', rid: 1, id: 1, wait: true, timeoutMs: 86_400_001 }), {
      code: -4,
      description: 'timeoutMs must be 0..86400000, got 86400001',
    });
    assert.equal(validateRequest({ type: 'destroy', rid: 1, id: 0 })?.code, -4);
    assert.equal(validateRequest({ type: 'publish', rid: 1, id: 1, topic: 'a/b', msg: 'x' })?.code, -2);
    assert.equal(validateRequest({ type: 'create', rid: 1 }), null);
  });
});
