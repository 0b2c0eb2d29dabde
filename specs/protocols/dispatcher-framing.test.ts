// P1 (dispatcher.md §9.1): in every dispatcher framing mode, for any list of requests and any
// chunking of the encoded stream, the decoded frames equal the list. Also the json protocol
// codec and the framing errors of §3.3.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DISPATCH_FRAMINGS,
  decodeJson,
  encodeFrame,
  encodeFrameBytes,
  jsonProtocol,
  legacyTxProtocol,
  requestDecoder,
  serialiseJson,
} from '../../protocols/dispatcher/index.ts';
import { concat, cutPositions, cutsArb, split } from './helpers.ts';

const MAX = 8192;
const text = fc.string({ unit: 'binary', maxLength: 60 });
const legacyRequest = fc
  .record({ TERF: fc.integer(), TERL: fc.integer(), GUID: text, PID: text, AID: text, CABX: text, MSG: fc.string({ unit: 'binary', maxLength: 300 }) }, { requiredKeys: [] })
  .map((o) => JSON.stringify(o));
const anyJsonObject = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }).map((o) => JSON.stringify(o));

describe('P1: dispatcher framings', () => {
  for (const mode of DISPATCH_FRAMINGS) {
    it(`${mode}: decode(encode(list)) = list for any chunking`, () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(legacyRequest, anyJsonObject), { maxLength: 10 }), cutsArb, (reqs, cuts) => {
          const stream = concat(reqs.map((r) => encodeFrameBytes(mode, Buffer.from(r))));
          const dec = requestDecoder(mode, MAX);
          const frames: string[] = [];
          for (const chunk of split(stream, cutPositions(cuts, stream.length))) for (const f of dec.push(chunk)) frames.push(f.toString('utf8'));
          assert.equal(dec.error, null);
          assert.equal(dec.end(), null);
          assert.deepEqual(frames, reqs);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('ndjson strips one CR and skips empty lines', () => {
    const dec = requestDecoder('ndjson', MAX);
    const out = dec.push(Buffer.from('\n{"a":1}\r\n\r\n\n{"b":2}\n')).map((b) => b.toString());
    assert.deepEqual(out, ['{"a":1}', '{"b":2}']);
  });

  it('legacy skips whitespace between objects; other bytes are a framing error', () => {
    const dec = requestDecoder('legacy', MAX);
    assert.deepEqual(dec.push(Buffer.from(' {"a":"}"} \n\t{"b":"\\"{"}')).map((b) => b.toString()), ['{"a":"}"}', '{"b":"\\"{"}']);
    assert.equal(dec.error, null);
    dec.push(Buffer.from('x{}'));
    assert.ok(dec.error);
  });

  it('framing errors: length 0, length above MaxFrameBytes, an over-long line, an over-long object', () => {
    const zero = requestDecoder('length32', MAX);
    zero.push(Buffer.from([0, 0, 0, 0]));
    assert.equal(zero.error?.code, 'empty-frame');
    const big = requestDecoder('length32', MAX);
    big.push(Buffer.from([0, 0, 0x20, 0x01]));
    assert.equal(big.error?.code, 'frame-too-large');
    const line = requestDecoder('ndjson', 10);
    line.push(Buffer.from('01234567890'));
    assert.equal(line.error?.code, 'frame-too-large');
    const obj = requestDecoder('legacy', 10);
    obj.push(Buffer.from('{"a":"0123456789"'));
    assert.equal(obj.error?.code, 'frame-too-large');
  });

  it('reply framing: length32 prefix, ndjson LF, legacy bare', () => {
    assert.deepEqual([...encodeFrame('length32', 'abc', true)], [0, 0, 0, 3, 97, 98, 99]);
    assert.equal(encodeFrame('ndjson', 'é').toString(), 'é\n');
    assert.equal(encodeFrame('legacy', '{}', true).toString(), '{}');
    assert.deepEqual([...encodeFrame('length32', 'é')], [0, 0, 0, 2, 0xc3, 0xa9]);
  });
});

describe('json protocol', () => {
  it('any JSON value is a request; replies are compact JSON; garbage is MALFORMED', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const d = jsonProtocol.decode(Buffer.from(JSON.stringify(v)));
        assert.equal(d.kind, 'request');
        const back = (d as { request: unknown }).request;
        assert.equal(jsonProtocol.success(back, back), JSON.stringify(back));
      }),
      { numRuns: 200 },
    );
    const bad = decodeJson(Buffer.from('{nope'));
    assert.equal(bad.kind, 'malformed');
    assert.deepEqual(JSON.parse((bad as { reply: string }).reply), { error: { code: 'MALFORMED', message: 'the frame is not valid JSON' } });
    assert.deepEqual(JSON.parse(jsonProtocol.failure(null, 'TIMEOUT', 'late')), { error: { code: 'TIMEOUT', message: 'late' } });
    assert.equal(serialiseJson(undefined), 'null');
    assert.equal(serialiseJson(10n), null);
  });

  it('json protocol object: decode agrees with decodeJson on any bytes (valid JSON, mutated JSON, garbage)', () => {
    const bytes = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
      fc.tuple(anyJsonObject, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([t, at, b]) => {
        const buf = Buffer.from(t);
        buf[at % buf.length] = b;
        return buf;
      }),
      fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    );
    fc.assert(
      fc.property(bytes, (frame) => {
        const ref = decodeJson(frame);
        const d = jsonProtocol.decode(frame);
        if (ref.kind === 'valid') assert.deepEqual(d, { kind: 'request', request: ref.text, parsed: ref.value });
        else assert.deepEqual(d, { kind: 'reply', reply: ref.reply, why: 'malformed', text: ref.text });
      }),
      { numRuns: 300 },
    );
  });

  it('legacy-tx protocol object: echo and malformed are immediate replies', () => {
    assert.equal(legacyTxProtocol.decode(Buffer.from('{}')).kind, 'reply');
    const d = legacyTxProtocol.decode(Buffer.from('nope'));
    assert.equal(d.kind === 'reply' && d.why, 'malformed');
  });
});
