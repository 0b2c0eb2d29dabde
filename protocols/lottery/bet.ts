// The lottery bet (lottery.md §5): field order = storage row order. Pure values and rules, no I/O.

import { ProtocolError } from '../errors.ts';

/** `LOTTERY_WINNER_NUMBER`: a bet wins exactly when its number equals this. */
export const LOTTERY_WINNER_NUMBER = 7574;

export interface Bet {
  agency: number;
  firstName: string;
  lastName: string;
  /** National id (DNI): a string of 1-10 ASCII digits; leading zeros are kept. Never a number. */
  document: string;
  /** `YYYY-MM-DD`, a real calendar date. */
  birthdate: string;
  number: number;
}

/** A bet as a flat row (the storage order): cheap to clone across threads. */
export type BetRow = [agency: number, firstName: string, lastName: string, document: string, birthdate: string, number: number];

export function toRow(b: Bet): BetRow {
  return [b.agency, b.firstName, b.lastName, b.document, b.birthdate, b.number];
}

export const NAME_MAX_BYTES = 50;
export const DOCUMENT_MAX_DIGITS = 10;

const AGENCY = /^[0-9]{1,9}$/;

/**
 * Why a name is invalid, or null: 1-50 UTF-8 bytes, no control character (C0, DEL, C1), no lone
 * surrogate. One pass over the UTF-16 code units (this runs for every bet on both sides).
 */
export function checkName(what: string, s: string): string | null {
  const len = s.length;
  if (len === 0) return `${what} is empty`;
  let bytes = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c < 0x20 || c === 0x7f) return `${what} contains a control character`;
      bytes += 1;
    } else if (c < 0x800) {
      if (c <= 0x9f) return `${what} contains a control character`;
      bytes += 2;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < len ? s.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) return `${what} is not well-formed UTF-8`;
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  if (bytes > NAME_MAX_BYTES) return `${what} is ${bytes} bytes (max ${NAME_MAX_BYTES})`;
  return null;
}

/** True when `s` is `min`..`max` ASCII digits. */
function isDigits(s: string, min: number, max: number): boolean {
  const n = s.length;
  if (n < min || n > max) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function digitAt(s: string, i: number): number {
  const c = s.charCodeAt(i) - 0x30;
  return c >= 0 && c <= 9 ? c : -1000;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `YYYY-MM-DD` and a real calendar date. */
export function isRealDate(s: string): boolean {
  if (s.length !== 10 || s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d) return false;
  const y = digitAt(s, 0) * 1000 + digitAt(s, 1) * 100 + digitAt(s, 2) * 10 + digitAt(s, 3);
  const mo = digitAt(s, 5) * 10 + digitAt(s, 6);
  const d = digitAt(s, 8) * 10 + digitAt(s, 9);
  if (y < 0 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (mo === 2 && leap ? 29 : DAYS[mo - 1]);
}

/** Reason the bet is invalid, or null. `agencies` (when given) bounds the agency id to 1..agencies. */
export function validateBet(b: Bet, agencies?: number): string | null {
  if (!Number.isSafeInteger(b.agency) || b.agency < 1) return `agency ${b.agency} is not a positive integer`;
  if (agencies !== undefined && b.agency > agencies) return `agency ${b.agency} is outside 1..${agencies}`;
  return (
    checkName('first name', b.firstName) ??
    checkName('last name', b.lastName) ??
    (isDigits(b.document, 1, DOCUMENT_MAX_DIGITS) ? null : `document ${JSON.stringify(b.document)} is not 1-10 ASCII digits`) ??
    (isRealDate(b.birthdate) ? null : `birthdate ${JSON.stringify(b.birthdate)} is not a real YYYY-MM-DD date`) ??
    (Number.isInteger(b.number) && b.number >= 0 && b.number <= 9999 ? null : `number ${b.number} is outside 0..9999`)
  );
}

/** Parses an agency id field (decimal digits, >= 1). Throws ProtocolError. */
export function parseAgency(s: string): number {
  const t = s.trim();
  if (!AGENCY.test(t)) throw new ProtocolError('invalid-field', `agency ${JSON.stringify(s)} is not a decimal id`);
  const n = Number(t);
  if (n < 1) throw new ProtocolError('invalid-field', `agency ${n} must be >= 1`);
  return n;
}

/** Parses the `numero` field: 1-4 ASCII digits. Throws ProtocolError. */
export function parseNumber(s: string): number {
  if (!isDigits(s, 1, 4)) throw new ProtocolError('invalid-field', `number ${JSON.stringify(s)} is not 1-4 ASCII digits`);
  let n = 0;
  for (let i = 0; i < s.length; i++) n = n * 10 + (s.charCodeAt(i) - 0x30);
  return n;
}

/** Builds and validates a bet from already-unescaped text fields. Throws ProtocolError('invalid-field'). */
export function makeBet(agency: number, firstName: string, lastName: string, document: string, birthdate: string, number: string): Bet {
  const b: Bet = { agency, firstName, lastName, document, birthdate, number: parseNumber(number) };
  const why = validateBet(b);
  if (why !== null) throw new ProtocolError('invalid-field', why);
  return b;
}

// ---- agency-N.csv (input) and bets.csv (output) ------------------------------------------

/**
 * One row of `agency-N.csv`: `nombre,apellido,documento,nacimiento,numero` (no quoting, the line
 * ending already removed). Throws ProtocolError on a bad row.
 */
export function parseAgencyCsvRow(agency: number, line: string): Bet {
  const f = line.split(',');
  if (f.length !== 5) throw new ProtocolError('malformed', `expected 5 comma-separated fields, got ${f.length}`);
  return makeBet(agency, f[0], f[1], f[2], f[3], f[4]);
}

/** The same row written back (the generator's format). */
export function formatAgencyCsvRow(b: Bet): string {
  return `${b.firstName},${b.lastName},${b.document},${b.birthdate},${b.number}\r\n`;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One `bets.csv` row: agency, first_name, last_name, document, birthdate, number; minimal quoting; CRLF. */
export function formatBetsCsvRow(r: BetRow): string {
  return `${r[0]},${csvField(r[1])},${csvField(r[2])},${csvField(r[3])},${r[4]},${r[5]}\r\n`;
}

/** Parses `bets.csv` text (for checks and recovery). */
export function parseBetsCsv(text: string): BetRow[] {
  const rows: BetRow[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const fields: string[] = [];
    for (;;) {
      let v = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new ProtocolError('malformed', 'unterminated quoted field in bets.csv');
          v += text.slice(i, q);
          i = q + 1;
          if (text[i] === '"') {
            v += '"';
            i++;
          } else break;
        }
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\r' && text[j] !== '\n') j++;
        v = text.slice(i, j);
        i = j;
      }
      fields.push(v);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      break;
    }
    if (fields.length !== 6) throw new ProtocolError('malformed', `bets.csv row ${rows.length + 1} has ${fields.length} fields`);
    rows.push([Number(fields[0]), fields[1], fields[2], fields[3], fields[4], Number(fields[5])]);
  }
  return rows;
}
