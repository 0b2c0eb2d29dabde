// legacy-tx codec (dispatcher.md §4.2): normalisation, validation, echo, byte-exact replies,
// and property P2 (the serialiser's output is ASCII, has no raw newline, parses back to the
// normalised object, and keeps the fixed key order).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeLegacy,
  errorTx,
  LEGACY_KEY_ORDER,
  normalise,
  normaliseInt,
  quoteLegacy,
  replyFromService,
  serialiseLegacy,
  truncateUtf8,
  txDone,
  type LegacyTx,
} from '../../protocols/dispatcher/index.ts';

const T = '\t';
const dec = (s: string) => decodeLegacy(Buffer.from(s, 'utf8'));

const A1_REQ = '{"TERF":1000,"TERL":3000,"GUID":"SOMEGUID","PID":"somepid","AID":"400200","CABX":"400201","MSG":"Well, this is the first message going and coming."}';
const A1_REPLY =
  `{${T}"AID" : "400200",${T}"CABX" : "400201",${T}"GUID" : "SOMEGUID",${T}"MSG" : "Well, this is the first message going and coming. OK - TX DONE!! ",${T}"PID" : "somepid",${T}"TERF" : 1000,${T}"TERL" : 3000}`;

describe('legacy-tx examples from the spec', () => {
  it('A1: a valid request is served with the exact 185-byte reply', () => {
    const d = dec(A1_REQ);
    assert.equal(d.kind, 'valid');
    const reply = serialiseLegacy(txDone((d as { tx: LegacyTx }).tx));
    assert.equal(reply, A1_REPLY);
    assert.equal(Buffer.byteLength(reply), 185);
  });

  it('A1: the styled request form gets the same reply', () => {
    const styled = `{${T}"AID" : "400200",${T}"CABX" : "400201",${T}"GUID" : "SOMEGUID",${T}"MSG" : "Well, this is the first message going and coming.",${T}"PID" : "somepid",${T}"TERF" : 1000,${T}"TERL" : 3000}`;
    const d = dec(styled);
    assert.equal(d.kind, 'valid');
    assert.equal(serialiseLegacy(txDone((d as { tx: LegacyTx }).tx)), A1_REPLY);
  });

  it('A2: an invalid request is echoed with the raw frame as MSG', () => {
    const req = '{"TERF":0,"TERL":3000,"GUID":"G1","PID":"P1","AID":"A1","CABX":"C1","MSG":"hi"}';
    const d = dec(req);
    assert.equal(d.kind, 'invalid');
    assert.equal(
      (d as { reply: string }).reply,
      `{${T}"AID" : "A1",${T}"CABX" : "C1",${T}"GUID" : "G1",${T}"MSG" : "{\\"TERF\\":0,\\"TERL\\":3000,\\"GUID\\":\\"G1\\",\\"PID\\":\\"P1\\",\\"AID\\":\\"A1\\",\\"CABX\\":\\"C1\\",\\"MSG\\":\\"hi\\"}",${T}"PID" : "P1",${T}"TERF" : 0,${T}"TERL" : 3000}`,
    );
  });

  it('A2: the other echo cases', () => {
    const base = { TERF: 1, TERL: 2, GUID: 'G', PID: 'P', AID: 'A', CABX: 'C', MSG: 'm' };
    assert.equal(dec(JSON.stringify(base)).kind, 'valid');
    const cases: Record<string, unknown>[] = [
      { ...base, TERL: 0 },
      { ...base, TERF: undefined },
      { ...base, TERL: undefined },
      { ...base, GUID: '' },
      { ...base, PID: '' },
      { ...base, AID: '' },
      { ...base, CABX: '' },
      { ...base, MSG: '' },
      { ...base, GUID: 5 },
      { ...base, MSG: ['x'] },
      { ...base, PID: null },
      { ...base, TERF: '1' },
    ];
    for (const c of cases) {
      const d = dec(JSON.stringify(c));
      assert.equal(d.kind, 'invalid', JSON.stringify(c));
    }
    const missing = dec('{"TERL":5,"GUID":"G","PID":"P","AID":"A","CABX":"C","MSG":"m"}');
    assert.equal(missing.kind, 'invalid');
    assert.match((missing as { reply: string }).reply, /"TERF" : 0,\t"TERL" : 5\}$/);
  });

  it('A3: truncation and coercion', () => {
    const d = dec('{"TERF":1.9,"TERL":-5,"GUID":"0123456789ABCDEF","PID":"pppppppppppppp","AID":"AAAAAAAAAAAA","CABX":"CCCCCCCCCCCC","MSG":"x"}');
    assert.equal(d.kind, 'valid');
    const tx = (d as { tx: LegacyTx }).tx;
    assert.deepEqual(tx, { TERF: 1, TERL: -5, GUID: '012345678', PID: 'ppppppppp', AID: 'AAAAAAA', CABX: 'CCCCCCC', MSG: 'x' });
    // multi-byte characters are never split: 'é' is 2 bytes, 9 bytes of 'ééééé' is 4 characters
    assert.equal(truncateUtf8('ééééé', 9), 'éééé');
    assert.equal(truncateUtf8('a😀b', 4), 'a');
    assert.equal(truncateUtf8('a😀b', 5), 'a😀');
    assert.equal(normalise({ GUID: 'abc\u0000def' }).GUID, 'abc');
    assert.equal(normalise({ MSG: 'abc\u0000def' }).MSG, 'abc');
  });

  it('A4: escaping of MSG, extra keys dropped', () => {
    const d = dec(JSON.stringify({ TERF: 1, TERL: 2, GUID: 'G', PID: 'P', AID: 'A', CABX: 'C', MSG: 'línea1\nlínea2', X: 'extra' }));
    assert.equal(d.kind, 'valid');
    const reply = serialiseLegacy(txDone((d as { tx: LegacyTx }).tx));
    assert.ok(reply.includes('"MSG" : "l\\u00ednea1\\nl\\u00ednea2 OK - TX DONE!! "'));
    assert.ok(!reply.includes('"X"'));
  });

  it('A10a: a non-JSON frame gets the malformed echo', () => {
    const d = dec('hello');
    assert.equal(d.kind, 'malformed');
    assert.equal((d as { reply: string }).reply, `{${T}"AID" : "",${T}"CABX" : "",${T}"GUID" : "",${T}"MSG" : "hello",${T}"PID" : "",${T}"TERF" : 0,${T}"TERL" : 0}`);
    for (const s of ['[1,2]', '"str"', '12', 'null', '{"a":}', '{"a":1} x']) assert.equal(dec(s).kind, 'malformed', s);
  });

  it('invalid UTF-8 in a frame becomes U+FFFD in the echo', () => {
    const d = decodeLegacy(Buffer.from([0x7b, 0xff, 0x7d]));
    assert.equal(d.kind, 'malformed');
    assert.ok((d as { reply: string }).reply.includes('"MSG" : "{\\ufffd}"'));
  });

  it('error replies append the code to MSG', () => {
    const tx = { TERF: 1, TERL: 2, GUID: 'G', PID: 'P', AID: 'A', CABX: 'C', MSG: 'm' };
    assert.ok(serialiseLegacy(errorTx(tx, 'WORKER_FAILED')).includes('"MSG" : "m ERROR - WORKER_FAILED "'));
    assert.deepEqual(replyFromService(tx, 'new'), { ...tx, MSG: 'new' });
    assert.equal(replyFromService(tx, 5), null);
  });

  it('numbers: int32 truncation, booleans, everything else 0', () => {
    assert.equal(normaliseInt(1.9), 1);
    assert.equal(normaliseInt(-1.9), -1);
    assert.equal(normaliseInt(-0.5), 0);
    assert.ok(Object.is(normaliseInt(-0.5), 0));
    assert.equal(normaliseInt(true), 1);
    assert.equal(normaliseInt(false), 0);
    assert.equal(normaliseInt(2147483647), 2147483647);
    assert.equal(normaliseInt(2147483648), 0);
    assert.equal(normaliseInt(-2147483648), -2147483648);
    assert.equal(normaliseInt(-2147483649), 0);
    for (const v of [null, undefined, '5', [1], { a: 1 }, Infinity, NaN]) assert.equal(normaliseInt(v), 0);
  });

  it('quoting: controls, quotes, backslash, non-ASCII, astral, slash', () => {
    assert.equal(quoteLegacy('a"b\\c/d'), '"a\\"b\\\\c/d"');
    assert.equal(quoteLegacy('\b\f\n\r\t\u0001\u001f\u007f'), '"\\b\\f\\n\\r\\t\\u0001\\u001f\u007f"');
    assert.equal(quoteLegacy('é😀'), '"\\u00e9\\ud83d\\ude00"');
  });
});

const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const txArb = fc.record({
  TERF: fc.integer({ min: -2147483648, max: 2147483647 }),
  TERL: fc.integer({ min: -2147483648, max: 2147483647 }),
  GUID: anyText,
  PID: anyText,
  AID: anyText,
  CABX: anyText,
  MSG: fc.string({ unit: 'binary', maxLength: 200 }),
});

describe('P2: the legacy-tx serialiser', () => {
  it('output is ASCII, has no raw newline, parses back to the normalised object in the fixed key order', () => {
    fc.assert(
      fc.property(txArb, (raw) => {
        const tx = normalise(raw);
        const out = serialiseLegacy(tx);
        for (let i = 0; i < out.length; i++) assert.ok(out.charCodeAt(i) < 0x80, `non-ASCII at ${i}`);
        assert.ok(!out.includes('\n') && !out.includes('\r'));
        const back = JSON.parse(out);
        assert.deepEqual(back, { ...tx });
        assert.deepEqual(Object.keys(back), [...LEGACY_KEY_ORDER]);
      }),
      { numRuns: 500 },
    );
  });

  it('any JSON object decodes without throwing; valid iff the rules hold; the echo parses back', () => {
    const value = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), anyText, fc.array(fc.integer(), { maxLength: 2 }));
    const obj = fc.record(
      { TERF: value, TERL: value, GUID: value, PID: value, AID: value, CABX: value, MSG: value, extra: value },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(obj, (o) => {
        const text = JSON.stringify(o);
        const d = decodeLegacy(Buffer.from(text));
        const tx = normalise(o as Record<string, unknown>);
        const valid = tx.TERF !== 0 && tx.TERL !== 0 && [tx.GUID, tx.PID, tx.AID, tx.CABX, tx.MSG].every((s) => s !== '');
        assert.equal(d.kind, valid ? 'valid' : 'invalid');
        if (d.kind === 'invalid') assert.deepEqual(JSON.parse(d.reply), { ...tx, MSG: text });
        for (const k of ['GUID', 'PID'] as const) assert.ok(Buffer.byteLength(tx[k]) <= 9);
        for (const k of ['AID', 'CABX'] as const) assert.ok(Buffer.byteLength(tx[k]) <= 7);
      }),
      { numRuns: 500 },
    );
  });

  it('truncation keeps a prefix on a code-point boundary and never exceeds the limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.integer({ min: 0, max: 30 }), (s, n) => {
        const t = truncateUtf8(s, n);
        assert.ok(s.startsWith(t));
        assert.ok(Buffer.byteLength(t) <= n);
        // maximal: the next code point would not fit
        if (t.length < s.length) {
          const next = String.fromCodePoint(s.codePointAt(t.length)!);
          assert.ok(Buffer.byteLength(t) + Buffer.byteLength(next) > n);
        }
      }),
      { numRuns: 500 },
    );
  });
});
