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

export function fromRow(r: BetRow): Bet {
  return { agency: r[0], firstName: r[1], lastName: r[2], document: r[3], birthdate: r[4], number: r[5] };
}

export function hasWon(b: { number: number }): boolean {
  return b.number === LOTTERY_WINNER_NUMBER;
}

export const NAME_MAX_BYTES = 50;
export const DOCUMENT_MAX_DIGITS = 10;

// C0 controls, DEL and C1 controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const DIGITS_1_10 = /^[0-9]{1,10}$/;
const DIGITS_1_4 = /^[0-9]{1,4}$/;
const AGENCY = /^[0-9]{1,9}$/;
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

function utf8Length(s: string): number {
  // Fast path for ASCII.
  const n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    return Buffer.byteLength(s, 'utf8');
  }
  return n;
}

export function checkName(what: string, s: string): string | null {
  if (s.length === 0) return `${what} is empty`;
  const n = utf8Length(s);
  if (n > NAME_MAX_BYTES) return `${what} is ${n} bytes (max ${NAME_MAX_BYTES})`;
  if (CONTROL.test(s)) return `${what} contains a control character`;
  if (LONE_SURROGATE.test(s)) return `${what} is not well-formed UTF-8`;
  return null;
}

export function isRealDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  return d <= days;
}

/** Reason the bet is invalid, or null. `agencies` (when given) bounds the agency id to 1..agencies. */
export function validateBet(b: Bet, agencies?: number): string | null {
  if (!Number.isSafeInteger(b.agency) || b.agency < 1) return `agency ${b.agency} is not a positive integer`;
  if (agencies !== undefined && b.agency > agencies) return `agency ${b.agency} is outside 1..${agencies}`;
  return (
    checkName('first name', b.firstName) ??
    checkName('last name', b.lastName) ??
    (DIGITS_1_10.test(b.document) ? null : `document ${JSON.stringify(b.document)} is not 1-10 ASCII digits`) ??
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
  if (!DIGITS_1_4.test(s)) throw new ProtocolError('invalid-field', `number ${JSON.stringify(s)} is not 1-4 ASCII digits`);
  return Number(s);
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
