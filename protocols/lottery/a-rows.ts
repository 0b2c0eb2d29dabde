// A protocol A BET frame straight to its storage rows and its `bets.csv` text (the server's hot
// path): the same result as decodeARequest + toRow + formatBetsCsvRow, without the payload string,
// its split into bets and fields, or a Bet per row.
//
// It takes only frames where every bet is of the common shape: no backslash in the payload (nothing
// escaped), the agency in plain digits and the same for every bet, names of 1-50 bytes of UTF-8
// without control characters or `"` (which bets.csv would quote), a document of 1-10 digits, a real
// YYYY-MM-DD date, a number of 1-4 digits without leading zeros. For anything else it returns null
// and the caller decodes with decodeARequest, whose result (or error) is then the answer.
// bets.csv rows are then `agency,` + the bet's fields after its betId (they are already in the
// storage order and need no quoting) + CRLF, copied from the payload.

import { Buffer, isUtf8 } from 'node:buffer';
import type { HeaderFrame } from '../framing/fixed-header.ts';
import type { BetRow } from './bet.ts';

export interface ABetRows {
  agency: number;
  batchId: number;
  rows: BetRow[];
  /** The rows as `bets.csv` lines (formatBetsCsvRow of each, concatenated). */
  csv: string;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digitsValue(b: Uint8Array, from: number, to: number, max: number): number {
  const n = to - from;
  if (n < 1 || n > max) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = b[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** 1-50 bytes, no control character (C0, DEL, C1), no `"`. 1: ASCII, 2: wider (UTF-8 checked for the whole payload), 0: not plain. */
function nameKind(b: Uint8Array, from: number, to: number): number {
  const n = to - from;
  if (n < 1 || n > 50) return 0;
  let kind = 1;
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c < 0x20 || c === 0x7f || c === 0x22) return 0;
    if (c >= 0x80) {
      if (c === 0xc2 && i + 1 < to && b[i + 1] <= 0x9f) return 0;
      kind = 2;
    }
  }
  return kind;
}

function realDate(b: Uint8Array, at: number, to: number): boolean {
  if (to - at !== 10 || b[at + 4] !== 0x2d || b[at + 7] !== 0x2d) return false;
  const y = digitsValue(b, at, at + 4, 4);
  const m = digitsValue(b, at + 5, at + 7, 2);
  const d = digitsValue(b, at + 8, at + 10, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS[m - 1]);
}

function header(h: Uint8Array, from: number, width: number): number {
  return digitsValue(h, from, from + width, width);
}

/** The rows and bets.csv text of a BET frame of the common shape, or null (decode it with decodeARequest). */
export function decodeABetRows(f: HeaderFrame): ABetRows | null {
  const h = f.header;
  if (h[0] !== 0x42) return null;
  const count = header(h, 11, 4);
  const batchId = header(h, 15, 8);
  const b = f.body;
  const n = b.length;
  if (count < 1 || batchId < 0 || n === 0 || b[0] !== 0x3b || b.indexOf(0x5c) >= 0 || !isUtf8(b)) return null;
  const rows: BetRow[] = new Array(count);
  // bets.csv: per bet at most the agency (9 digits) and CRLF more than its bytes here.
  const csv = Buffer.allocUnsafe(n + count * 11);
  let w = 0;
  let agency = -1;
  let agencyText: Buffer | null = null;
  let at = 1; // after a ';'
  for (let i = 0; i < count; i++) {
    const end0 = b.indexOf(0x3b, at);
    const end = end0 < 0 ? n : end0;
    if ((end0 < 0) !== (i === count - 1)) return null; // more or fewer bets than the header says
    const c1 = b.indexOf(0x2c, at);
    const c2 = c1 < 0 || c1 > end ? -1 : b.indexOf(0x2c, c1 + 1);
    const c3 = c2 < 0 || c2 > end ? -1 : b.indexOf(0x2c, c2 + 1);
    const c4 = c3 < 0 || c3 > end ? -1 : b.indexOf(0x2c, c3 + 1);
    const c5 = c4 < 0 || c4 > end ? -1 : b.indexOf(0x2c, c4 + 1);
    const c6 = c5 < 0 || c5 > end ? -1 : b.indexOf(0x2c, c5 + 1);
    if (c6 < 0 || c6 > end) return null;
    const c7 = b.indexOf(0x2c, c6 + 1);
    if (c7 >= 0 && c7 < end) return null; // an eighth field
    const a = digitsValue(b, at, c1, 9);
    if (a < 1 || (agency >= 0 && a !== agency)) return null;
    if (agency < 0) {
      agency = a;
      agencyText = Buffer.from(`${a},`, 'latin1');
    }
    const k1 = nameKind(b, c2 + 1, c3);
    const k2 = nameKind(b, c3 + 1, c4);
    if (k1 === 0 || k2 === 0) return null;
    if (digitsValue(b, c4 + 1, c5, 10) < 0 || !realDate(b, c5 + 1, c6)) return null;
    const num = digitsValue(b, c6 + 1, end, 4);
    if (num < 0 || (end - c6 - 1 > 1 && b[c6 + 1] === 0x30)) return null; // "0042" is stored as 42: the general path
    rows[i] = [
      a,
      k1 === 1 ? b.toString('latin1', c2 + 1, c3) : b.toString('utf8', c2 + 1, c3),
      k2 === 1 ? b.toString('latin1', c3 + 1, c4) : b.toString('utf8', c3 + 1, c4),
      b.toString('latin1', c4 + 1, c5),
      b.toString('latin1', c5 + 1, c6),
      num,
    ];
    w += agencyText!.copy(csv, w);
    w += b.copy(csv, w, c2 + 1, end);
    csv[w++] = 0x0d;
    csv[w++] = 0x0a;
    at = end + 1;
  }
  return { agency, batchId, rows, csv: csv.toString('utf8', 0, w) };
}
