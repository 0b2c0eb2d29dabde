// The streaming-receive lines of the client <-> local broker socket (protocols/broker/json-stream.ts):
// every line round-trips, the §6.1 lines still decode through the same entry points, and mangled
// lines throw ProtocolError only (never anything else, never a wrong value).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../protocols/errors.ts';
import {
  decodeClientLine,
  decodeLbLine,
  encodeJsonReply,
  encodeJsonRequest,
  encodeStreamAck,
  encodeStreamBatch,
  encodeStreamEnd,
  encodeStreamOpen,
} from '../../protocols/broker/index.ts';

const rid = fc.integer({ min: 1, max: 0xffff_ffff });
const seq = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const text = fc.string({ unit: 'binary', maxLength: 40 });
const delivery = fc.record({ topic: text, msg: text, seq }, { noNullPrototype: true });
/** The usual batch: one topic, consecutive seqs (the compact line form). */
const run = fc
  .tuple(text, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 20 }), fc.array(text, { minLength: 1, maxLength: 20 }))
  .map(([topic, first, texts]) => texts.map((msg, i) => ({ topic, msg, seq: first + i })));

function onlyProtocolError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
}

describe('broker stream lines', () => {
  it('open and ack round-trip through decodeClientLine', () => {
    fc.assert(
      fc.property(rid, fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: -5, max: 1e6 }), (r, id, credit) => {
        assert.deepEqual(decodeClientLine(encodeStreamOpen({ rid: r, id, credit })), { type: 'stream', rid: r, id, credit });
      }),
    );
    fc.assert(
      fc.property(rid, seq, fc.boolean(), (r, s, close) => {
        assert.deepEqual(decodeClientLine(encodeStreamAck({ rid: r, seq: s, close })), { type: 'ack', rid: r, seq: s, close });
      }),
    );
  });

  it('batches and ends round-trip through decodeLbLine', () => {
    fc.assert(
      fc.property(rid, fc.array(delivery, { maxLength: 20 }), (r, msgs) => {
        assert.deepEqual(decodeLbLine(encodeStreamBatch(r, msgs)), { type: 'batch', stream: r, msgs });
      }),
    );
    fc.assert(
      fc.property(rid, run, (r, msgs) => {
        const line = encodeStreamBatch(r, msgs);
        assert.equal(JSON.parse(line).seq, msgs[0].seq, 'one topic and consecutive seqs take the compact form');
        assert.deepEqual(decodeLbLine(line), { type: 'batch', stream: r, msgs });
      }),
    );
    fc.assert(
      fc.property(rid, fc.integer({ min: -10, max: -1 }), fc.string({ minLength: 1, maxLength: 30 }), (r, code, d) => {
        assert.deepEqual(decodeLbLine(encodeStreamEnd(r, code, d)), { type: 'end', stream: r, code, description: d });
      }),
    );
  });

  it('the §6.1 request and reply lines still decode through the same entry points', () => {
    assert.deepEqual(decodeClientLine(encodeJsonRequest({ type: 'recv', rid: 4, id: 2, wait: true })), { type: 'recv', rid: 4, id: 2, wait: true });
    assert.deepEqual(decodeLbLine(encodeJsonReply({ type: 'reply', rid: 4, status: 1, description: 'a message', delivery: { topic: 't', msg: 'm', seq: 9 } })), {
      type: 'reply',
      rid: 4,
      status: 1,
      description: 'a message',
      delivery: { topic: 't', msg: 'm', seq: 9 },
    });
  });

  it('rejects bad shapes with ProtocolError naming the problem', () => {
    const client: [string, RegExp][] = [
      ['{"rid":1,"op":"stream","id":1}', /"credit" must be a number/],
      ['{"rid":1,"op":"stream","id":1,"credit":4,"x":1}', /unexpected key "x"/],
      ['{"rid":0,"op":"ack","seq":1}', /"rid" must be an integer/],
      ['{"rid":1,"op":"ack","seq":-1}', /"seq" must be an integer/],
      ['{"rid":1,"op":"ack","seq":1,"close":"yes"}', /"close" must be a boolean/],
      ['{"rid":1,"op":"bogus"}', /unknown op/],
    ];
    for (const [line, re] of client) assert.throws(() => decodeClientLine(line), (e: unknown) => e instanceof ProtocolError && re.test(e.message), line);
    const lb: [string, RegExp][] = [
      ['{"stream":1,"msgs":[["t","m"]]}', /message 0 must be \[topic, msg, seq\]/],
      ['{"stream":1,"msgs":{}}', /"msgs" must be an array/],
      ['{"stream":1,"end":0,"description":"x"}', /"end" must be an integer/],
      ['{"stream":1,"end":-1,"description":""}', /"description"/],
      ['{"stream":0,"msgs":[]}', /"stream" must be an integer/],
      ['{"stream":1,"topic":"t","seq":1,"msgs":["a",2]}', /message 1 must be a string/],
      ['{"stream":1,"topic":5,"seq":1,"msgs":["a"]}', /"topic" must be a string/],
      ['{"stream":1,"topic":"t","seq":-1,"msgs":["a"]}', /"seq" must be an integer/],
      ['{"stream":1,"topic":"t","seq":9007199254740991,"msgs":["a","b"]}', /"seq" must be an integer/],
      ['{"stream":1,"topic":"t","msgs":["a"]}', /"seq" must be an integer/],
    ];
    for (const [line, re] of lb) assert.throws(() => decodeLbLine(line), (e: unknown) => e instanceof ProtocolError && re.test(e.message), line);
  });

  it('mangled lines give ProtocolError or a well-formed value, nothing else', () => {
    const line = fc.oneof(
      fc.tuple(rid, fc.array(delivery, { maxLength: 4 })).map(([r, m]) => encodeStreamBatch(r, m)),
      fc.tuple(rid, run).map(([r, m]) => encodeStreamBatch(r, m)),
      fc.tuple(rid, seq, fc.boolean()).map(([r, s, c]) => encodeStreamAck({ rid: r, seq: s, close: c })),
    );
    fc.assert(
      fc.property(line, fc.nat(), fc.string({ maxLength: 3 }), (l, at, junk) => {
        const cut = at % (l.length + 1);
        const bad = l.slice(0, cut) + junk + l.slice(cut + 1);
        onlyProtocolError(() => decodeLbLine(bad));
        onlyProtocolError(() => decodeClientLine(bad));
      }),
    );
  });
});
