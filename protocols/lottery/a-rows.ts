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

import { isAscii, isUtf8 } from 'node:buffer';
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

// The payload is turned into one string (one call into the runtime) and read with charCodeAt and
// indexOf; each field is a substring of it. Per field, Buffer#toString was one call into C++ each
// (four per bet), the larger part of the server's decoding time.

function digitsValue(t: string, from: number, to: number, max: number): number {
  const n = to - from;
  if (n < 1 || n > max) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = t.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** 1-50 bytes of UTF-8, no control character (C0, DEL, C1), no `"`. */
function plainName(t: string, from: number, to: number): boolean {
  if (to <= from) return false;
  let bytes = 0;
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || (c >= 0x7f && c <= 0x9f)) return false;
    // UTF-16 to UTF-8 lengths: a surrogate pair (4 bytes) is two units of 2.
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return bytes <= 50;
}

function realDate(t: string, at: number, to: number): boolean {
  if (to - at !== 10 || t.charCodeAt(at + 4) !== 0x2d || t.charCodeAt(at + 7) !== 0x2d) return false;
  const y = digitsValue(t, at, at + 4, 4);
  const m = digitsValue(t, at + 5, at + 7, 2);
  const d = digitsValue(t, at + 8, at + 10, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS[m - 1]);
}

function header(h: Uint8Array, from: number, width: number): number {
  let v = 0;
  for (let i = from; i < from + width; i++) {
    const d = h[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** The rows and bets.csv text of a BET frame of the common shape, or null (decode it with decodeARequest). */
export function decodeABetRows(f: HeaderFrame): ABetRows | null {
  const h = f.header;
  if (h[0] !== 0x42) return null;
  const count = header(h, 11, 4);
  const batchId = header(h, 15, 8);
  const b = f.body;
  if (count < 1 || batchId < 0 || b.length === 0 || b[0] !== 0x3b || b.indexOf(0x5c) >= 0) return null;
  // ASCII (the usual case): one latin1 string, whose indices are the bytes'. Otherwise UTF-8 checked whole.
  const ascii = isAscii(b);
  if (!ascii && !isUtf8(b)) return null;
  const t = b.toString(ascii ? 'latin1' : 'utf8');
  const n = t.length;
  const rows: BetRow[] = new Array(count);
  let csv = '';
  let agency = -1;
  let agencyText = '';
  let at = 1; // after a ';'
  for (let i = 0; i < count; i++) {
    const end0 = t.indexOf(';', at);
    const end = end0 < 0 ? n : end0;
    if ((end0 < 0) !== (i === count - 1)) return null; // more or fewer bets than the header says
    const c1 = t.indexOf(',', at);
    const c2 = c1 < 0 || c1 > end ? -1 : t.indexOf(',', c1 + 1);
    const c3 = c2 < 0 || c2 > end ? -1 : t.indexOf(',', c2 + 1);
    const c4 = c3 < 0 || c3 > end ? -1 : t.indexOf(',', c3 + 1);
    const c5 = c4 < 0 || c4 > end ? -1 : t.indexOf(',', c4 + 1);
    const c6 = c5 < 0 || c5 > end ? -1 : t.indexOf(',', c5 + 1);
    if (c6 < 0 || c6 > end) return null;
    const c7 = t.indexOf(',', c6 + 1);
    if (c7 >= 0 && c7 < end) return null; // an eighth field
    const a = digitsValue(t, at, c1, 9);
    if (a < 1 || (agency >= 0 && a !== agency)) return null;
    if (agency < 0) {
      agency = a;
      agencyText = `${a},`;
    }
    if (!plainName(t, c2 + 1, c3) || !plainName(t, c3 + 1, c4)) return null;
    if (digitsValue(t, c4 + 1, c5, 10) < 0 || !realDate(t, c5 + 1, c6)) return null;
    const num = digitsValue(t, c6 + 1, end, 4);
    if (num < 0 || (end - c6 - 1 > 1 && t.charCodeAt(c6 + 1) === 0x30)) return null; // "0042" is stored as 42: the general path
    rows[i] = [a, t.slice(c2 + 1, c3), t.slice(c3 + 1, c4), t.slice(c4 + 1, c5), t.slice(c5 + 1, c6), num];
    csv += agencyText + t.slice(c2 + 1, end) + '\r\n';
    at = end + 1;
  }
  return { agency, batchId, rows, csv };
}
