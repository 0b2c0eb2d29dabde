// Property tests of protocols/lottery (lottery.md §6, §11): codec round trips under arbitrary
// chunking for protocols A and B, escaping, protocol detection for every first byte,
// malformed-input rejection, and exact batch grouping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../protocols/errors.ts';
import {
  aReplyDecoder,
  aRequestDecoder,
  B_MAX_FRAME,
  bFrameDecoder,
  decodeAReply,
  decodeARequest,
  decodeB,
  encodeAAck,
  encodeABet,
  encodeAFin,
  encodeALstQuery,
  encodeALstReply,
  encodeAWin,
  encodeB,
  encodeBWinners,
  escapeField,
  checkName,
  groupBets,
  isRealDate,
  makeBet,
  MAX_PACKET_BYTES,
  sizer,
  sniff,
  splitEscaped,
  unescapeField,
  validateBet,
  type Bet,
  type BPacket,
} from '../../protocols/lottery/index.ts';
import { concat, cutPositions, cutsArb, mutate, mutationArb, onlyProtocolError, RUNS, split } from './helpers.ts';

const enc = new TextEncoder();

/** Names of 1-50 UTF-8 bytes with separators, backslashes, accents and emoji, no control characters. */
const nameArb = fc
  .array(fc.constantFrom('a', 'Z', 'ñ', 'Á', 'ü', ' ', '\\', ',', ';', ':', '%', '"', "'", '|', '😀', 'é', 'x', '7', '%s', 'action'), { minLength: 1, maxLength: 20 })
  .map((p) => p.join(''))
  .filter((s) => Buffer.byteLength(s) <= 50);

const dateArb = fc
  .record({ y: fc.integer({ min: 1900, max: 2099 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }) })
  .map(({ y, m, d }) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);

const docArb = fc.stringMatching(/^[0-9]{1,10}$/);

const betArb = (agency: fc.Arbitrary<number>): fc.Arbitrary<Bet> =>
  fc
    .record({ agency, firstName: nameArb, lastName: nameArb, document: docArb, birthdate: dateArb, number: fc.integer({ min: 0, max: 9999 }) })
    .map((r) => ({ ...r }));

const agencyArb = fc.integer({ min: 1, max: 99_999 });
const batchArb = agencyArb.chain((a) => fc.array(betArb(fc.constant(a)), { minLength: 1, maxLength: 12 }).map((bets) => ({ agency: a, bets })));

function feed<F>(d: { push(c: Uint8Array): F[]; error: ProtocolError | null }, chunks: Uint8Array[]): F[] {
  const out: F[] = [];
  for (const c of chunks) out.push(...d.push(c));
  assert.equal(d.error, null);
  return out;
}

describe('lottery escaping (§6.5)', () => {
  it('split(escape(fields).join(sep)) then unescape gives the fields back', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { minLength: 1, maxLength: 6 }), fc.constantFrom(',', ';', ':'), (fields, sep) => {
        const joined = fields.map(escapeField).join(sep);
        assert.deepEqual(splitEscaped(joined, sep).map(unescapeField), fields);
      }),
      { numRuns: RUNS },
    );
  });

  it('only \\\\ \\, \\; \\: are valid escapes', () => {
    assert.equal(unescapeField('a\\\\b\\,c\\;d\\:e'), 'a\\b,c;d:e');
    for (const bad of ['\\n', '\\a', 'x\\', '\\%', '\\"']) assert.throws(() => unescapeField(bad), ProtocolError);
  });
});

describe('bet validation (§5)', () => {
  // Reference rules written the slow, obvious way.
  const refName = (s: string): boolean =>
    s.length > 0 && Buffer.byteLength(s) <= 50 && !/[\u0000-\u001f\u007f-\u009f]/.test(s) && !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
  const refDate = (s: string): boolean => {
    const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
    if (!m) return false;
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
  };

  it('names: 1-50 UTF-8 bytes, no control characters, no lone surrogates', () => {
    const unit = fc.constantFrom('a', 'ñ', '😀', '\u0000', '\u001f', '\u007f', '\u0085', '\u00a0', '\ud800', '\udc00', '漢', ' ', ',');
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.array(unit, { maxLength: 30 }).map((a) => a.join(''))), (s) => {
        assert.equal(checkName('name', s) === null, refName(s), JSON.stringify(s));
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('dates: YYYY-MM-DD and a real calendar date (leap years included)', () => {
    for (const [d, ok] of [['2000-02-29', true], ['1900-02-29', false], ['2024-02-29', true], ['2023-02-29', false], ['2023-04-31', false], ['2023-12-31', true], ['2023-1-01', false], ['2023-13-01', false], ['2023-00-10', false], ['20230101', false], ['2023-01-0a', false]] as const) {
      assert.equal(isRealDate(d), ok, d);
    }
    fc.assert(
      fc.property(fc.stringMatching(/^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$/), (d) => assert.equal(isRealDate(d), refDate(d), d)),
      { numRuns: RUNS * 5 },
    );
  });
});

describe('lottery protocol A (§6.1)', () => {
  it('BET encode/decode is the identity under any chunking', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 0, max: 99_999_999 }), cutsArb, ({ agency, bets }, batchId, cuts) => {
        const bytes = encodeABet(bets, batchId, 1);
        const frames = feed(aRequestDecoder(), split(bytes, cutPositions(cuts, bytes.length)));
        assert.equal(frames.length, 1);
        const r = decodeARequest(frames[0]);
        assert.deepEqual(r, { type: 'BET', count: bets.length, batchId, agency, bets });
      }),
      { numRuns: RUNS },
    );
  });

  it('FIN, ACK and WIN round trip with exact bytes', () => {
    assert.equal(encodeABet([makeBet(1, 'Juan', 'Perez', '12345678', '1999-03-17', '7574')], 7, 12).toString(), 'BET00000041000100000007;1,12,Juan,Perez,12345678,1999-03-17,7574\n');
    assert.equal(encodeAAck(1, 7).toString(), 'ACK,00000004,1,7\n');
    assert.equal(encodeAFin(3).toString(), `FIN${' '.repeat(19)}3\n`);
    fc.assert(
      fc.property(agencyArb, fc.integer({ min: 0, max: 99_999_999 }), fc.array(docArb, { maxLength: 30 }), cutsArb, (agency, batchId, docs, cuts) => {
        const fin = feed(aRequestDecoder(), split(encodeAFin(agency), cutPositions(cuts, 24)));
        assert.deepEqual(decodeARequest(fin[0]), { type: 'FIN', agency });
        const stream = concat([encodeAAck(agency, batchId), encodeAWin(docs)]);
        const replies = feed(aReplyDecoder(), split(stream, cutPositions(cuts, stream.length))).map(decodeAReply);
        assert.deepEqual(replies, [{ type: 'ACK', agency, batchId }, { type: 'WIN', documents: docs }]);
      }),
      { numRuns: RUNS },
    );
  });

  it('the LST resume query and its reply round trip with exact bytes, in a stream with ACK and WIN', () => {
    assert.equal(encodeALstQuery(3).toString(), `LST${' '.repeat(19)}3\n`);
    assert.equal(encodeALstReply(1, 7, 1234).toString(), 'LST,00000009,1,7,1234\n');
    fc.assert(
      fc.property(agencyArb, fc.integer({ min: 0, max: 99_999_999 }), fc.nat({ max: 2 ** 40 }), fc.array(docArb, { maxLength: 5 }), cutsArb, (agency, last, rows, docs, cuts) => {
        const q = feed(aRequestDecoder(), split(encodeALstQuery(agency), cutPositions(cuts, 24)));
        assert.deepEqual(decodeARequest(q[0]), { type: 'LST', agency });
        const stream = concat([encodeALstReply(agency, last, rows), encodeAAck(agency, last), encodeAWin(docs)]);
        const replies = feed(aReplyDecoder(), split(stream, cutPositions(cuts, stream.length))).map(decodeAReply);
        assert.deepEqual(replies, [{ type: 'LST', agency, lastBatchId: last, rows }, { type: 'ACK', agency, batchId: last }, { type: 'WIN', documents: docs }]);
      }),
      { numRuns: RUNS },
    );
    for (const bad of ['LST,00000004,1,7\n', 'LST,00000007,1,x,2\n', 'LST,00000009,0,7,1234\n']) {
      const d = aReplyDecoder();
      const frames = d.push(Buffer.from(bad));
      const err = d.error ?? (frames.length > 0 ? onlyProtocolError(() => decodeAReply(frames[0])) : new ProtocolError('truncated', 'incomplete'));
      assert.ok(err instanceof ProtocolError, `accepted ${JSON.stringify(bad)}`);
    }
  });

  it('rejects malformed BETs with a ProtocolError only', () => {
    const good = encodeABet([makeBet(2, 'Ana', 'Gómez', '00000000', '2000-02-29', '1')], 1);
    const bad = [
      good.toString().replace('BET00', 'BEX00'),
      good.toString().replace('00010000', '00020000'), // count 2, one bet
      good.toString().replace('2000-02-29', '2001-02-29'), // not a real date
      good.toString().replace('00000000', '0000000A'),
      good.toString().replace('\n', 'X'),
    ];
    for (const b of bad) {
      const d = aRequestDecoder();
      const frames = d.push(Buffer.from(b));
      const err = d.error ?? onlyProtocolError(() => decodeARequest(frames[0]));
      assert.ok(err instanceof ProtocolError, `accepted ${JSON.stringify(b)}`);
    }
    fc.assert(
      fc.property(batchArb, mutationArb, ({ bets }, muts) => {
        const bytes = mutate(encodeABet(bets, 1), muts);
        const d = aRequestDecoder(1 << 16);
        const frames = d.push(bytes);
        for (const f of frames) {
          const e = onlyProtocolError(() => decodeARequest(f));
          if (e === null) {
            const r = decodeARequest(f);
            if (r.type === 'BET') for (const b of r.bets) assert.equal(validateBet(b), null);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});

const bPacketArb: fc.Arbitrary<BPacket> = fc.oneof(
  betArb(agencyArb).map((bet) => ({ type: 'StoreBet', bet }) as BPacket),
  batchArb.map(({ agency, bets }) => ({ type: 'StoreBatch', agency, bets }) as BPacket),
  fc.constantFrom(0, 1).map((status) => ({ type: 'StoreResponse', status }) as BPacket),
  agencyArb.map((agency) => ({ type: 'AgencyClose', agency }) as BPacket),
  agencyArb.map((agency) => ({ type: 'WinnersRequest', agency }) as BPacket),
  fc.array(docArb, { maxLength: 20 }).map((documents) => ({ type: 'WinnersResponse', documents }) as BPacket),
  fc.constant({ type: 'NotReadyResponse' } as BPacket),
);

describe('lottery protocol B (§6.2)', () => {
  it('every packet type round trips under any chunking', () => {
    fc.assert(
      fc.property(fc.array(bPacketArb, { minLength: 1, maxLength: 5 }), cutsArb, (packets, cuts) => {
        const stream = concat(packets.map((p) => encodeB(p)));
        const frames = feed(bFrameDecoder(), split(stream, cutPositions(cuts, stream.length)));
        assert.deepEqual(frames.map(decodeB), packets);
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts the legacy `agency;bet:bet` StoreBatch layout and unescaped official rows', () => {
    const frame = Buffer.from('StoreBatch:1;Juan;Perez;12345678;1980-01-01;5423:Maria;Gomez;87654321;1999-10-25;1234');
    const p = decodeB(frame);
    assert.equal(p.type, 'StoreBatch');
    assert.equal(p.type === 'StoreBatch' && p.bets.length, 2);
  });

  it('splits a long winners list into WinnersPart packets and a final WinnersResponse', () => {
    const docs = Array.from({ length: 2000 }, (_, i) => String(1_000_000_000 + i));
    const packets = encodeBWinners(docs);
    assert.ok(packets.length > 1);
    for (const p of packets) assert.ok(p.length - 2 <= B_MAX_FRAME);
    const d = bFrameDecoder();
    const decoded = packets.flatMap((p) => d.push(p)).map(decodeB);
    assert.equal(decoded.at(-1)!.type, 'WinnersResponse');
    assert.deepEqual(decoded.flatMap((p) => ('documents' in p ? p.documents : [])), docs);
  });

  it('rejects malformed packets with a ProtocolError only', () => {
    const bad = ['StoreBet:1;A;B;123;2000-01-01', 'StoreBet:1;A;B;12a;2000-01-01;1', 'StoreBatch:1', 'StoreBatch:x:A;B;1;2000-01-01;1', 'Nope:1', 'StoreResponse:2', 'NotReadyResponse:x', 'StoreBet:1;A\\n;B;1;2000-01-01;1', `StoreBet:1;${'x'.repeat(51)};B;1;2000-01-01;1`, 'StoreBet:1;A\u0001;B;1;2000-01-01;1', 'WinnersRequest:0'];
    for (const b of bad) assert.ok(onlyProtocolError(() => decodeB(enc.encode(b))) instanceof ProtocolError, b);
    fc.assert(
      fc.property(bPacketArb, mutationArb, (p, muts) => {
        const d = bFrameDecoder();
        for (const f of d.push(mutate(encodeB(p), muts))) onlyProtocolError(() => decodeB(f));
        assert.ok(d.error === null || d.error instanceof ProtocolError);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('protocol detection (§6)', () => {
  it('classifies every first byte', () => {
    for (let b = 0; b < 256; b++) {
      const expected = b <= 0x1f ? 'B' : b === 0x42 || b === 0x46 || b === 0x4c ? 'A' : 'invalid';
      assert.equal(sniff(b), expected, `byte 0x${b.toString(16)}`);
    }
    // A B-length high byte never exceeds 0x1F for L <= 8190.
    assert.equal((B_MAX_FRAME >> 8) <= 0x1f, true);
  });

  it('a first byte of B, F or L is protocol A only when followed by ET / IN / ST', () => {
    for (const s of ['BAD', 'FOO', 'BE', 'FIX', 'LSX', 'LOT']) {
      const d = aRequestDecoder();
      d.push(Buffer.from(s.padEnd(24, ' ')));
      assert.ok(d.error instanceof ProtocolError, s);
    }
  });
});

describe('batch grouping (§3 Ex6)', () => {
  it('is [m, …, m, r] with 1 <= r <= m when full batches fit in 8 kB, and cantidad sums to the rows', () => {
    fc.assert(
      fc.property(
        fc.array(betArb(fc.constant(3)), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 35 }),
        fc.constantFrom<'A' | 'B'>('A', 'B'),
        (bets, m, protocol) => {
          const batches = groupBets(bets, protocol, 3, m);
          const sizes = batches.map((b) => b.length);
          for (let i = 0; i < sizes.length - 1; i++) assert.equal(sizes[i], m);
          const r = sizes.at(-1)!;
          assert.ok(r >= 1 && r <= m);
          assert.equal(sizes.reduce((a, b) => a + b, 0), bets.length);
          assert.deepEqual(batches.flat(), bets);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('never builds a packet over 8 192 bytes, whatever maxAmount', () => {
    fc.assert(
      fc.property(fc.array(betArb(fc.constant(12)), { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 9999 }), fc.constantFrom<'A' | 'B'>('A', 'B'), (bets, m, protocol) => {
        let id = 1;
        for (const batch of groupBets(bets, protocol, 12, m)) {
          const bytes = protocol === 'A' ? encodeABet(batch, 1, id) : encodeB({ type: 'StoreBatch', agency: 12, bets: batch });
          id += batch.length;
          assert.ok(bytes.length <= MAX_PACKET_BYTES, `${bytes.length} bytes`);
          assert.ok(batch.length <= m);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('the sizer predicts the exact encoded size of every packet', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 1, max: 1000 }), ({ agency, bets }, firstId) => {
        for (const protocol of ['A', 'B'] as const) {
          const s = sizer(protocol, agency);
          const predicted = s.fixed + bets.reduce((n, b, i) => n + s.betBytes(b, firstId + i), 0);
          const actual = protocol === 'A' ? encodeABet(bets, 1, firstId).length : encodeB({ type: 'StoreBatch', agency, bets }).length;
          assert.equal(predicted, actual, protocol);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('35 worst-case bets (50-byte names of escaped characters) fit one protocol B packet; 36 do not', () => {
    const worst = makeBet(9999, ':'.repeat(50), ','.repeat(50), '9'.repeat(10), '2000-12-31', '9999');
    const s = sizer('B', 9999);
    assert.ok(s.fixed + 35 * s.betBytes(worst, 1) <= MAX_PACKET_BYTES);
    assert.ok(s.fixed + 36 * s.betBytes(worst, 1) > MAX_PACKET_BYTES);
    assert.deepEqual(groupBets(Array(71).fill(worst), 'B', 9999, 9999).map((b) => b.length), [35, 35, 1]);
  });
});
