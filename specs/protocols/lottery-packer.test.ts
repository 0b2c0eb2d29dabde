// The agency's byte-level protocol A packer (protocols/lottery/a-packer.ts) against the general
// path it replaces: for any list of agency-N.csv lines (official-shaped rows, rows that need
// escaping, accents and emoji, control characters, bad dates, leading zeros, wrong field counts,
// invalid UTF-8, overlong names) and any maxAmount and packet cap, the packer rejects exactly the
// rows parseAgencyCsvRow rejects, with the same error, and its packets are byte for byte
// encodeABet over the Batcher's groups. Its UTF-8 check decides as isUtf8 does, on any bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { APacker, Batcher, encodeABet, isUtf8Range, parseAgencyCsvRow, setABatchId, sizer, type Bet } from '../../protocols/lottery/index.ts';
import { RUNS } from './helpers.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One line's outcome through the general path: a bet, or the error message that rejects it. */
function general(agency: number, line: Uint8Array): Bet | string {
  try {
    return parseAgencyCsvRow(agency, utf8.decode(line));
  } catch (err) {
    return (err as Error).message;
  }
}

function reference(agency: number, lines: Uint8Array[], maxAmount: number, cap: number): { packets: string[]; rejected: string[] } {
  const b = new Batcher(sizer('A', agency, cap), maxAmount);
  const packets: string[] = [];
  const rejected: string[] = [];
  const out = (r: { bets: Bet[]; firstBetId: number } | null): void => {
    if (r) packets.push(encodeABet(r.bets, 0, r.firstBetId).toString('hex'));
  };
  lines.forEach((l, i) => {
    const r = general(agency, l);
    if (typeof r === 'string') rejected.push(`${i}: ${r}`);
    else out(b.add(r));
  });
  out(b.flush());
  return { packets, rejected };
}

function packed(agency: number, lines: Uint8Array[], maxAmount: number, cap: number): { packets: string[]; rejected: string[] } {
  const p = new APacker(agency, maxAmount, cap);
  const packets: string[] = [];
  const rejected: string[] = [];
  lines.forEach((l, i) => {
    try {
      p.row(l);
    } catch (err) {
      rejected.push(`${i}: ${(err as Error).message}`);
      return;
    }
    const r = p.push();
    if (r) packets.push(r.packet.toString('hex'));
  });
  const last = p.flush();
  if (last) packets.push(last.packet.toString('hex'));
  return { packets, rejected };
}

const nameChars = fc.constantFrom('a', 'Z', 'ñ', 'Á', 'ü', ' ', '-', "'", '\\', ';', ':', '😀', '\u0085', '\u0001', '\x7f', 'é', 'x', 'ç');
const name = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-zÁÉÍÓÚáéíóúñü ]{1,23}$/) },
  { weight: 2, arbitrary: fc.array(nameChars, { minLength: 0, maxLength: 30 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(50), 'x'.repeat(51), 'é'.repeat(25), 'é'.repeat(26)) },
);
const doc = fc.oneof(fc.stringMatching(/^[0-9]{8}$/), fc.constantFrom('', '0', '00000000', '12345678901', '12a4', '0123456789'));
const date = fc.oneof(
  fc.date({ min: new Date('1900-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom('2000-02-29', '1900-02-29', '2001-02-29', '1999-13-01', '1999-00-10', '1999-04-31', '99-01-01', '1999/01/01', '0000-02-29', '2024-1-05'),
);
const num = fc.oneof(fc.integer({ min: 0, max: 9999 }).map(String), fc.constantFrom('0', '00', '0042', '7574', '10000', '', '-1', '12a'));
const row = fc.tuple(name, name, doc, date, num).map((f) => f.join(','));
const oddRow = fc.oneof(
  row.map((r) => `${r},extra`),
  row.map((r) => r.slice(0, r.lastIndexOf(','))),
  row.map((r) => `${r}\r`),
  fc.constantFrom('a,b,1,2000-01-01', ',,,,', 'Ana,Pérez,123,2000-01-01,1'),
);
const lineBytes = fc.oneof(
  { weight: 10, arbitrary: row.map((r) => new Uint8Array(Buffer.from(r, 'utf8'))) },
  { weight: 1, arbitrary: oddRow.map((r) => new Uint8Array(Buffer.from(r, 'utf8'))) },
  // Not UTF-8: a stray continuation byte, a truncated sequence, an encoded surrogate.
  { weight: 1, arbitrary: fc.constantFrom([0x80], [0xc3], [0xed, 0xa0, 0x80]).map((bad) => new Uint8Array([...Buffer.from('Ana'), ...bad, ...Buffer.from(',Paz,12345678,1990-05-17,7574')])) },
);

describe('protocol A packer (the agency hot path)', () => {
  it('its UTF-8 check agrees with isUtf8 on any bytes and any range', () => {
    // Bytes near the boundaries that matter: ASCII, continuations, lead bytes of every width, the invalid ones.
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90));
    const text = fc.string({ unit: 'binary', maxLength: 12 }).map((t) => [...Buffer.from(t, 'utf8')]);
    const lead = fc.constantFrom(0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf1, 0xf4, 0xf5);
    const cont = fc.constantFrom(0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0);
    const sequence = fc.tuple(lead, fc.array(cont, { minLength: 0, maxLength: 3 })).map(([l, c]) => [l, ...c]);
    fc.assert(
      fc.property(fc.array(fc.oneof(byte.map((b) => [b]), text, sequence), { maxLength: 12 }), fc.nat(), fc.nat(), (parts, x, y) => {
        const b = new Uint8Array(parts.flat());
        const from = b.length ? x % (b.length + 1) : 0;
        const to = from + (b.length - from ? y % (b.length - from + 1) : 0);
        assert.equal(isUtf8Range(b, from, to), isUtf8(b.subarray(from, to)), Buffer.from(b.subarray(from, to)).toString('hex'));
      }),
      { numRuns: RUNS * 20 },
    );
  });

  it('rejects exactly the rows the general path rejects and packs byte-identical packets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1200 }),
        fc.array(lineBytes, { minLength: 0, maxLength: 120 }),
        fc.integer({ min: 1, max: 9999 }),
        fc.constantFrom(8192, 8192, 600, 300),
        (agency, lines, maxAmount, cap) => {
          let ref: { packets: string[]; rejected: string[] };
          try {
            ref = reference(agency, lines, maxAmount, cap);
          } catch (err) {
            // One bet larger than the cap: the packer refuses it the same way.
            assert.throws(() => packed(agency, lines, maxAmount, cap), { message: (err as Error).message });
            return;
          }
          assert.deepEqual(packed(agency, lines, maxAmount, cap), ref);
        },
      ),
      { numRuns: RUNS * 4 },
    );
  });

  it('official-shaped rows take the byte path and closing by the 8 kB cap is flagged', () => {
    const p = new APacker(3, 9999);
    const line = Buffer.from('Santiago Lionel,Lorca,30904465,1999-03-17,7574');
    let first = null;
    for (let i = 0; i < 1000 && first === null; i++) first = p.add(line);
    assert.ok(first);
    assert.equal(first.closedEarly, true);
    assert.ok(first.packet.length <= 8192 && first.packet.length > 8192 - 60, `${first.packet.length}`);
    assert.equal(first.firstBetId, 1);
    const bets = Array.from({ length: first.count }, () => parseAgencyCsvRow(3, line.toString()));
    assert.deepEqual(setABatchId(first.packet, 42), encodeABet(bets, 42, 1));
  });

  it('maxAmount closes a batch exactly, and bet ids go on across packets', () => {
    const p = new APacker(1, 2);
    const l = Buffer.from('Ana,Paz,1,2000-01-01,1');
    assert.equal(p.add(l), null);
    const a = p.add(l)!;
    assert.equal(a.count, 2);
    assert.equal(a.closedEarly, false);
    assert.equal(p.add(l), null);
    const b = p.flush()!;
    assert.equal(b.count, 1);
    assert.equal(b.firstBetId, 3);
    assert.ok(b.packet.toString().includes(';1,3,Ana,Paz,1,2000-01-01,1\n'));
    assert.equal(p.flush(), null);
  });
});
