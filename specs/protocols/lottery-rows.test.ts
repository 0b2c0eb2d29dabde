// The server's byte-level BET decoder (protocols/lottery/a-rows.ts) against the general path it
// shortcuts: for any BET frame (bets of every kind encoded by encodeABet, and payloads written by
// hand: escapes, quotes, control characters, wrong field or bet counts, mixed agencies, leading
// zeros, invalid UTF-8), decodeABetRows either returns null or exactly the rows of decodeARequest
// and their bets.csv lines (formatBetsCsvRow); it never accepts a frame decodeARequest rejects,
// and it takes every frame of the official shape.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeABetRows, decodeARequest, encodeABet, formatBetsCsvRow, toRow, type Bet } from '../../protocols/lottery/index.ts';
import type { HeaderFrame } from '../../protocols/framing/fixed-header.ts';
import { RUNS } from './helpers.ts';

function frame(packet: Buffer): HeaderFrame {
  return { header: packet.subarray(0, 23), body: packet.subarray(23, packet.length - 1) };
}

/** A BET frame around any payload (the header's size and count as given). */
function rawFrame(payload: Buffer, count: number, batchId: number): HeaderFrame {
  const head = Buffer.from(`BET${String(payload.length).padStart(8, '0')}${String(count).padStart(4, '0')}${String(batchId).padStart(8, '0')}`, 'latin1');
  return { header: head, body: payload };
}

function general(f: HeaderFrame): { agency: number; batchId: number; rows: unknown[]; csv: string } | null {
  try {
    const r = decodeARequest(f);
    if (r.type !== 'BET') return null;
    const rows = r.bets.map(toRow);
    return { agency: r.agency, batchId: r.batchId, rows, csv: rows.map(formatBetsCsvRow).join('') };
  } catch {
    return null;
  }
}

const nameChars = fc.constantFrom('a', 'Z', 'ñ', 'Á', ' ', '"', ',', ';', ':', '\\', '😀', '\u0085', '\u0001', '\x7f', 'é');
const name = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-zÁÉÍÓÚáéíóúñü ]{1,23}$/) },
  { weight: 2, arbitrary: fc.array(nameChars, { minLength: 1, maxLength: 20 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(50), 'é'.repeat(25)) },
);
const bet = (agency: number): fc.Arbitrary<Bet> =>
  fc.record({
    agency: fc.constant(agency),
    firstName: name,
    lastName: name,
    document: fc.stringMatching(/^[0-9]{1,10}$/),
    birthdate: fc.date({ min: new Date('1900-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    number: fc.integer({ min: 0, max: 9999 }),
  });
// Bets written field by field, each field usually valid and sometimes not (or encoded oddly).
/** Mostly `ok`, sometimes one of `odd`. */
const mostly = (ok: string, ...odd: string[]): fc.Arbitrary<string> => fc.oneof({ weight: 4 * odd.length, arbitrary: fc.constant(ok) }, ...odd.map((o) => ({ weight: 1, arbitrary: fc.constant(o) })));
const rawBet = fc
  .record({
    agency: mostly('1', '2', '01', ' 1', ''),
    betId: mostly('17', '', 'x'),
    first: mostly('Ana', 'Pérez', 'José María', '"q"', 'a\\,b', '\x01', '', 'x'.repeat(51), 'BAD'),
    last: mostly('Paz', 'Álvarez', 'Ñ', '', 'BAD'),
    doc: mostly('30904465', '00000000', '1', '12345678901', '12a4', ''),
    date: mostly('1999-03-17', '2000-02-29', '1900-02-29', '1999-13-01', '1999-04-31', '99-01-01'),
    number: mostly('7574', '0', '42', '0042', '00', '10000', '', '7a'),
    extra: fc.oneof({ weight: 9, arbitrary: fc.constant([] as string[]) }, { weight: 1, arbitrary: fc.constant(['9']) }),
  })
  .map((r) => [r.agency, r.betId, r.first, r.last, r.doc, r.date, r.number, ...r.extra].join(','));
/** The bytes of a payload; 'BAD' in a name becomes bytes that are not UTF-8. */
function payloadBytes(text: string): Buffer {
  const parts = text.split('BAD');
  return Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [Buffer.from(p)] : [Buffer.from([0xc3, 0x28]), Buffer.from(p)])));
}

describe('protocol A BET rows from bytes (the server hot path)', () => {
  it('encoded frames: the same rows and bets.csv text as the general path, or null where it must decline', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999 }), fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 1, max: 99_999 }), (agency, batchId, firstBetId) =>
        fc.assert(
          fc.property(fc.array(bet(agency), { minLength: 1, maxLength: 40 }), (bets) => {
            const f = frame(encodeABet(bets, batchId, firstBetId));
            const fast = decodeABetRows(f);
            const ref = general(f);
            if (ref === null) return assert.equal(fast, null, 'accepted a frame the general path rejects');
            if (fast) assert.deepEqual(fast, ref);
            const official = bets.every((b) => /^[A-Za-zÁÉÍÓÚáéíóúñü ]{1,23}$/.test(b.firstName) && /^[A-Za-zÁÉÍÓÚáéíóúñü ]{1,23}$/.test(b.lastName));
            if (official) assert.ok(fast, 'declined a frame of the official shape');
          }),
          { numRuns: 3 },
        ),
      ),
      { numRuns: RUNS },
    );
  });

  it('hand-written payloads: never accepted where the general path fails, never different where both decode', () => {
    fc.assert(
      fc.property(fc.array(rawBet, { minLength: 1, maxLength: 6 }), fc.integer({ min: -1, max: 1 }), fc.boolean(), (bets, off, trailing) => {
        const f = rawFrame(payloadBytes(bets.map((b) => `;${b}`).join('') + (trailing ? ';' : '')), Math.max(0, bets.length + off), 7);
        const fast = decodeABetRows(f);
        const ref = general(f);
        if (ref === null) assert.equal(fast, null, 'accepted a frame the general path rejects');
        else if (fast) assert.deepEqual(fast, ref);
      }),
      { numRuns: RUNS * 20 },
    );
  });

  it('an official-shaped batch takes the byte path', () => {
    const bets: Bet[] = [
      { agency: 3, firstName: 'Santiago Lionel', lastName: 'Lorca', document: '30904465', birthdate: '1999-03-17', number: 7574 },
      { agency: 3, firstName: 'Agustín', lastName: 'Álvarez', document: '00000000', birthdate: '2000-02-29', number: 0 },
    ];
    const r = decodeABetRows(frame(encodeABet(bets, 12, 1)));
    assert.ok(r);
    assert.equal(r.csv, '3,Santiago Lionel,Lorca,30904465,1999-03-17,7574\r\n3,Agustín,Álvarez,00000000,2000-02-29,0\r\n');
    assert.deepEqual(r.rows[1], [3, 'Agustín', 'Álvarez', '00000000', '2000-02-29', 0]);
    assert.equal(r.batchId, 12);
  });
});
