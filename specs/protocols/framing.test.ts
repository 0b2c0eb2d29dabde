import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../protocols/errors.ts';
import {
  createFramer,
  decimalLength,
  encodeFixedHeader,
  FixedHeaderDecoder,
  JsonStreamDecoder,
  Length16Decoder,
  Length32Decoder,
  length32Header,
  LinesDecoder,
  type FixedHeaderOptions,
  type FrameDecoder,
  type Framer,
} from '../../protocols/framing/index.ts';
import { concat, cutPositions, cutsArb, mutate, mutationArb, onlyProtocolError, run, RUNS, split } from './helpers.ts';

const MAX = 300;

function hex(frames: Uint8Array[]): string[] {
  return frames.map((f) => Buffer.from(f).toString('hex'));
}

interface Case {
  framer: Framer;
  payload: fc.Arbitrary<Uint8Array>;
  /** bytes a decoder may hold beyond maxFrameSize (prefix, CR) */
  slack: number;
}

const noLf = fc
  .uint8Array({ minLength: 1, maxLength: 120 })
  .map((a) => a.map((b) => (b === 10 ? 32 : b)))
  .filter((a) => a[a.length - 1] !== 13);

const jsonObject = fc
  .tuple(fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }))
  .map(([o]) => new Uint8Array(Buffer.from(JSON.stringify(o))))
  .filter((b) => b.length <= MAX);

const cases: Record<string, Case> = {
  length32: { framer: createFramer('length32', { maxFrameSize: MAX }), payload: fc.uint8Array({ minLength: 1, maxLength: MAX }), slack: 4 },
  length16: { framer: createFramer('length16', { maxFrameSize: MAX }), payload: fc.uint8Array({ minLength: 1, maxLength: MAX }), slack: 2 },
  lines: { framer: createFramer('lines', { maxFrameSize: MAX }), payload: noLf, slack: 1 },
  'json-stream': { framer: createFramer('json-stream', { maxFrameSize: MAX }), payload: jsonObject, slack: 0 },
};

for (const [name, c] of Object.entries(cases)) {
  describe(`framing ${name}`, () => {
    it('encode then decode is the identity, whatever the chunking', () => {
      fc.assert(
        fc.property(fc.array(c.payload, { maxLength: 8 }), cutsArb, (payloads, cuts) => {
          const stream = concat(payloads.map((p) => c.framer.encode(p)));
          const out = run(c.framer.decoder(), split(stream, cutPositions(cuts, stream.length)));
          assert.deepEqual(hex(out.frames), hex(payloads));
          assert.equal(out.error, null);
          assert.equal(out.end, null);
        }),
        { numRuns: RUNS },
      );
    });

    it('decoding any bytes split anywhere equals decoding them whole, errors included', () => {
      const bytes = fc.oneof(
        fc.uint8Array({ maxLength: 400 }),
        fc.tuple(fc.array(c.payload, { maxLength: 5 }), mutationArb).map(([ps, m]) => mutate(concat(ps.map((p) => c.framer.encode(p))), m)),
      );
      fc.assert(
        fc.property(bytes, cutsArb, (stream, cuts) => {
          const whole = run(c.framer.decoder(), [stream]);
          const parts = run(c.framer.decoder(), split(stream, cutPositions(cuts, stream.length)));
          assert.deepEqual(hex(parts.frames), hex(whole.frames));
          assert.deepEqual(parts.error, whole.error);
          assert.deepEqual(parts.end, whole.end);
        }),
        { numRuns: RUNS },
      );
    });

    it('arbitrary bytes give frames or a ProtocolError, never more than the limit buffered', () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
          const d = c.framer.decoder();
          for (const ch of chunks) {
            for (const f of d.push(ch)) assert.ok(f.length <= MAX);
            assert.ok(d.buffered <= MAX + c.slack, `buffered ${d.buffered}`);
            if (d.error !== null) assert.ok(d.error instanceof ProtocolError);
          }
          const e = d.end();
          if (e !== null) assert.ok(e instanceof ProtocolError);
        }),
        { numRuns: RUNS },
      );
    });

    it('a failed decoder stays failed and ignores further input', () => {
      const d = c.framer.decoder();
      // a byte stream that breaks every framing: a huge length / garbage / a line that never ends
      d.push(Buffer.alloc(MAX + 10, 0x41).fill(0xff, 0, 4));
      assert.ok(d.error instanceof ProtocolError);
      assert.deepEqual(d.push(c.framer.encode(Buffer.from('{}'))), []);
      assert.equal(d.end(), d.error);
    });

    it('encode accepts the limit and rejects one byte more with frame-too-large', () => {
      const big = name === 'json-stream' ? Buffer.from(`{"a":"${'x'.repeat(MAX - 8)}"}`) : Buffer.alloc(MAX, 0x61);
      assert.equal(big.length, MAX);
      const enc = c.framer.encode(big);
      assert.deepEqual(hex(run(c.framer.decoder(), [enc]).frames), hex([big]));
      const over = name === 'json-stream' ? Buffer.from(`{"a":"${'x'.repeat(MAX - 7)}"}`) : Buffer.alloc(MAX + 1, 0x61);
      const err = onlyProtocolError(() => c.framer.encode(over));
      assert.equal(err?.code, 'frame-too-large');
    });
  });
}

describe('length32 specifics', () => {
  it('rejects a length above the maximum before buffering the payload, with the offset of the prefix', () => {
    const d = new Length32Decoder({ maxFrameSize: 100 });
    const ok = createFramer('length32', { maxFrameSize: 100 }).encode(Buffer.from('hi'));
    const frames = d.push(Buffer.concat([ok, Buffer.from([0, 0, 0, 101])]));
    assert.deepEqual(hex(frames), hex([Buffer.from('hi')]));
    assert.equal(d.error?.code, 'frame-too-large');
    assert.equal(d.error?.offset, 6);
    assert.match(d.error!.message, /101 bytes exceeds the maximum of 100 bytes \(at byte offset 6\)/);
    assert.equal(d.buffered, 0);
  });

  it('rejects a zero length unless allowEmpty', () => {
    const d = new Length32Decoder({ maxFrameSize: 10 });
    d.push(Buffer.from([0, 0, 0, 0]));
    assert.equal(d.error?.code, 'empty-frame');
    const e = new Length32Decoder({ maxFrameSize: 10, allowEmpty: true });
    assert.deepEqual(e.push(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 7])).map((f) => [...f]), [[], [7]]);
    assert.equal(onlyProtocolError(() => createFramer('length32', { maxFrameSize: 10 }).encode(new Uint8Array()))?.code, 'empty-frame');
  });

  it('a 2^32-1 length is refused at once (no allocation)', () => {
    const d = new Length32Decoder({ maxFrameSize: 65536 });
    d.push(Buffer.from([0xff, 0xff]));
    assert.equal(d.buffered > 0, true);
    d.push(Buffer.from([0xff, 0xff, 1, 2, 3]));
    assert.equal(d.error?.code, 'frame-too-large');
    assert.equal(d.error?.offset, 0);
  });

  it('reports a truncated stream at end()', () => {
    const d = new Length32Decoder({ maxFrameSize: 10 });
    d.push(Buffer.from([0, 0, 0, 5, 1, 2]));
    assert.equal(d.end()?.code, 'truncated');
    assert.equal(d.end()?.offset, 0);
  });

  it('returns frames inside one chunk as zero-copy views', () => {
    const chunk = Buffer.from([0, 0, 0, 2, 9, 8, 0, 0, 0, 1, 7]);
    const [a, b] = new Length32Decoder({ maxFrameSize: 10 }).push(chunk);
    assert.equal(a.buffer, chunk.buffer);
    assert.equal(b.buffer, chunk.buffer);
  });

  it('the header helper matches encode', () => {
    const opts = { maxFrameSize: 1 << 20 };
    assert.deepEqual([...length32Header(0x01020304 & 0xfffff, opts)], [0, 0x02, 0x03, 0x04]);
    assert.equal(onlyProtocolError(() => length32Header((1 << 20) + 1, opts))?.code, 'frame-too-large');
  });

  it('the options are validated', () => {
    assert.throws(() => new Length16Decoder({ maxFrameSize: 70000 }), RangeError);
    assert.throws(() => new Length32Decoder({ maxFrameSize: -1 }), RangeError);
  });
});

describe('length16 (lottery protocol B)', () => {
  it('decodes a StoreResponse packet', () => {
    const d = new Length16Decoder({ maxFrameSize: 8190 });
    const body = Buffer.from('StoreResponse:0');
    assert.deepEqual(d.push(Buffer.concat([Buffer.from([0, body.length]), body])).map(String), ['StoreResponse:0']);
  });
  it('8191 is too large', () => {
    const d = new Length16Decoder({ maxFrameSize: 8190 });
    d.push(Buffer.from([0x1f, 0xff]));
    assert.equal(d.error?.code, 'frame-too-large');
  });
});

describe('lines specifics', () => {
  it('accepts LF and CRLF, skips empty lines, strips only one CR', () => {
    const d = new LinesDecoder({ maxFrameSize: 100 });
    assert.deepEqual(d.push(Buffer.from('a\r\n\nb\n\r\nc\r\r\n')).map(String), ['a', 'b', 'c\r']);
  });

  it('event dispatcher mode: no CR stripping, empty lines skipped, a lone CR line delivered', () => {
    const d = new LinesDecoder({ maxFrameSize: 100, stripCR: false, skipEmpty: true });
    assert.deepEqual(d.push(Buffer.from('A\r\n\n\r\nB\n')).map(String), ['A\r', '\r', 'B']);
    const keep = new LinesDecoder({ maxFrameSize: 100, skipEmpty: false });
    assert.deepEqual(keep.push(Buffer.from('\n\r\nx\n')).map(String), ['', '', 'x']);
  });

  it('a line of exactly the maximum is accepted, with or without CR; one more byte is refused early', () => {
    const d = new LinesDecoder({ maxFrameSize: 5 });
    assert.deepEqual(d.push(Buffer.from('12345\r')).map(String), []);
    assert.deepEqual(d.push(Buffer.from('\n12345\n')).map(String), ['12345', '12345']);
    d.push(Buffer.from('123456'));
    assert.equal(d.error?.code, 'frame-too-large');
    assert.equal(d.error?.offset, 13);
    assert.ok(d.buffered <= 6);
  });

  it('a CR split from its LF across chunks is still stripped', () => {
    const d = new LinesDecoder({ maxFrameSize: 10 });
    assert.deepEqual([...d.push(Buffer.from('ab\r')), ...d.push(Buffer.from('\n'))].map(String), ['ab']);
  });

  it('encode refuses LF inside, a final CR, and an empty line that would be skipped', () => {
    const f = createFramer('ndjson', { maxFrameSize: 10 });
    assert.equal(onlyProtocolError(() => f.encode(Buffer.from('a\nb')))?.code, 'malformed');
    assert.equal(onlyProtocolError(() => f.encode(Buffer.from('a\r')))?.code, 'malformed');
    assert.equal(onlyProtocolError(() => f.encode(Buffer.from('')))?.code, 'empty-frame');
    assert.equal(String(f.encode(Buffer.from('ok'))), 'ok\n');
  });

  it('an unterminated final line is reported by end()', () => {
    const d = new LinesDecoder({ maxFrameSize: 10 });
    d.push(Buffer.from('x\ny'));
    assert.equal(d.end()?.code, 'truncated');
    assert.equal(d.end()?.offset, 2);
  });
});

describe('json-stream specifics', () => {
  it('splits concatenated objects, skipping whitespace, honouring strings and escapes', () => {
    const d = new JsonStreamDecoder({ maxFrameSize: 1000 });
    const text = ' {"a":"}"}\r\n\t{"b":{"c":"\\"}{"}}{"d":"\\\\"}{}';
    assert.deepEqual(d.push(Buffer.from(text)).map(String), ['{"a":"}"}', '{"b":{"c":"\\"}{"}}', '{"d":"\\\\"}', '{}']);
    assert.equal(d.buffered, 0);
  });

  it('anything but an object at top level is malformed at its offset', () => {
    for (const [text, offset] of [['[1]', 0], ['{} x', 3], ['{}}', 2], ['"s"', 0], ['{}\u00a0', 2], ['1', 0]] as const) {
      const d = new JsonStreamDecoder({ maxFrameSize: 100 });
      const frames = d.push(Buffer.from(text));
      assert.equal(d.error?.code, 'malformed', text);
      assert.equal(d.error?.offset, offset, text);
      assert.equal(frames.length, text.startsWith('{}') ? 1 : 0);
    }
  });

  it('an object still open after the maximum is refused', () => {
    const d = new JsonStreamDecoder({ maxFrameSize: 10 });
    d.push(Buffer.from('{} {"a":"012'));
    assert.equal(d.buffered > 0, true);
    d.push(Buffer.from('34567'));
    assert.equal(d.error?.code, 'frame-too-large');
    assert.equal(d.error?.offset, 3);
  });

  it('encode accepts exactly one object', () => {
    const f = createFramer('legacy', { maxFrameSize: 100 });
    assert.equal(onlyProtocolError(() => f.encode(Buffer.from('{}{}')))?.code, 'trailing-bytes');
    assert.equal(onlyProtocolError(() => f.encode(Buffer.from(' {}')))?.code, 'malformed');
    assert.equal(onlyProtocolError(() => f.encode(Buffer.from('{"a')))?.code, 'truncated');
  });
});

describe('fixed-header framer (lottery protocol A)', () => {
  const bet: FixedHeaderOptions = {
    headerSize: 23,
    length: decimalLength(3, 8),
    maxBodySize: 1 << 20,
    trailer: '\n',
    validateHeader: (h) => (h.toString('latin1', 0, 3) === 'BET' ? null : new ProtocolError('unknown-type', 'expected BET', 0)),
  };
  const ack: FixedHeaderOptions = { headerSize: 12, length: decimalLength(4, 8), maxBodySize: 1000, trailer: '\n' };
  const win: FixedHeaderOptions = { headerSize: 12, length: decimalLength(4, 8), maxBodySize: 1000 };

  it('decodes the spec example BET and ACK', () => {
    const wire = 'BET00000041000100000007;1,12,Juan,Perez,12345678,1999-03-17,7574\n';
    const frames = new FixedHeaderDecoder(bet).push(Buffer.from(wire));
    assert.equal(frames.length, 1);
    assert.equal(String(frames[0].header), 'BET00000041000100000007');
    assert.equal(String(frames[0].body), ';1,12,Juan,Perez,12345678,1999-03-17,7574');
    const acks = new FixedHeaderDecoder(ack).push(Buffer.from('ACK,00000004,1,7\n'));
    assert.equal(String(acks[0].body), ',1,7');
  });

  it('encodes an ACK byte-exactly', () => {
    assert.equal(String(encodeFixedHeader(Buffer.from('ACK,????????'), Buffer.from(',1,7'), ack)), 'ACK,00000004,1,7\n');
  });

  it('a custom length reader frames a FIN (23 bytes + LF, no body) among BETs', () => {
    const mixed: FixedHeaderOptions = {
      ...bet,
      validateHeader: undefined,
      length: {
        read: (h) => {
          const t = h.toString('latin1', 0, 3);
          if (t === 'FIN') return 0;
          if (t === 'BET') return decimalLength(3, 8).read(h);
          return new ProtocolError('unknown-type', `unknown message type "${t}"`, 0);
        },
      },
    };
    const fin = `FIN${'7'.padStart(20, ' ')}\n`;
    const d = new FixedHeaderDecoder(mixed);
    const frames = [...d.push(Buffer.from(fin.slice(0, 10))), ...d.push(Buffer.from(fin.slice(10) + 'XYZ'))];
    assert.equal(frames.length, 1);
    assert.equal(frames[0].body.length, 0);
    assert.equal(String(frames[0].header).trim(), 'FIN                   7'.trim());
    d.push(Buffer.alloc(20, 0x30));
    assert.equal(d.error?.code, 'unknown-type');
    assert.equal(d.error?.offset, 24);
  });

  it('WIN with an empty payload and no trailer', () => {
    const d = new FixedHeaderDecoder(win);
    const frames = d.push(Buffer.from('WIN,00000000WIN,0000000512,34'));
    assert.deepEqual(frames.map((f) => String(f.body)), ['', '12,34']);
    assert.equal(d.end(), null);
  });

  it('round-trips BET frames under any chunking; bad digits, wrong trailer and oversize are errors', () => {
    const d0 = new FixedHeaderDecoder(win);
    d0.push(Buffer.from('WIN,0000x000'));
    assert.equal(d0.error?.code, 'malformed');
    assert.equal(d0.error?.offset, 8);
    const d1 = new FixedHeaderDecoder(ack);
    d1.push(Buffer.from('ACK,00000001xy'));
    assert.equal(d1.error?.code, 'malformed');
    assert.equal(d1.error?.offset, 13);
    const d2 = new FixedHeaderDecoder(win);
    d2.push(Buffer.from('WIN,00001001'));
    assert.equal(d2.error?.code, 'frame-too-large');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.uint8Array({ maxLength: 200 })), { maxLength: 6 }),
        cutsArb,
        (items, cuts) => {
          const header = (count: number) => Buffer.from(`BET????????${String(count).padStart(4, '0')}00000001`);
          const stream = concat(items.map(([n, body]) => encodeFixedHeader(header(n), body, bet)));
          const out = run(new FixedHeaderDecoder(bet), split(stream, cutPositions(cuts, stream.length)));
          assert.deepEqual(hex(out.frames.map((f) => f.body)), hex(items.map(([, b]) => b)));
          assert.deepEqual(out.frames.map((f) => Number(f.header.toString('latin1', 11, 15))), items.map(([n]) => n));
          assert.equal(out.end, null);
        }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary bytes: same outcome split or whole, only ProtocolErrors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), cutsArb, (bytes, cuts) => {
        const w = run(new FixedHeaderDecoder(win), [bytes]);
        const p = run(new FixedHeaderDecoder(win), split(bytes, cutPositions(cuts, bytes.length)));
        assert.deepEqual(hex(p.frames.map((f) => f.body)), hex(w.frames.map((f) => f.body)));
        assert.deepEqual(p.error, w.error);
        assert.deepEqual(p.end, w.end);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('factory', () => {
  it('knows every name and refuses others', () => {
    for (const n of ['length32', 'length16', 'lines', 'ndjson', 'json-stream', 'legacy'] as const) {
      const f = createFramer(n, { maxFrameSize: 100 });
      const d: FrameDecoder = f.decoder();
      assert.equal(d.error, null);
    }
    assert.equal(onlyProtocolError(() => createFramer('nope' as 'lines', { maxFrameSize: 1 }))?.code, 'invalid-field');
  });
});
