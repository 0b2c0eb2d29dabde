// Protocol A BET packets built straight from the bytes of `agency-N.csv` lines (the agency's hot
// path): the same packets, byte for byte, as parsing each row (parseAgencyCsvRow), grouping the
// bets (Batcher) and encoding them (encodeABet), without a string, a Bet or an array per row.
//
// A row of the official shape, `nombre,apellido,documento,nacimiento,numero` with names that need
// no escaping (§6.5) and a number without leading zeros, is exactly the tail of its protocol A bet
// `agency,betId,nombre,apellido,documento,nacimiento,numero`: it is validated on its bytes and
// copied. Any other row (an escape needed, a leading zero, anything invalid) takes the general
// path (decode, parseAgencyCsvRow, encodeABetFields), so the outcome (the bytes, or the error
// that rejects the row) is the general path's own. Grouping follows the Batcher exactly:
// `maxAmount` bets per packet, closed early when the next bet would push it past the packet cap.

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { parseAgencyCsvRow } from './bet.ts';
import { checkMaxAmount, MAX_PACKET_BYTES } from './batch.ts';
import { A_REQUEST_HEADER, encodeABetFields } from './protocol-a.ts';

export interface APacket {
  /** The whole BET packet; its batch id is 0 until setABatchId writes it. */
  packet: Buffer;
  count: number;
  firstBetId: number;
  /** Closed by the packet cap before `maxAmount` bets. */
  closedEarly: boolean;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Writes the batch id (8 digits) into a BET packet's header, in place. */
export function setABatchId(packet: Buffer, batchId: number): Buffer {
  if (!Number.isInteger(batchId) || batchId < 0 || batchId > 99_999_999) throw new ProtocolError('invalid-field', `batch id ${batchId} out of range`);
  packet.write(String(batchId).padStart(8, '0'), 15, 8, 'latin1');
  return packet;
}

// Every check below is a loop over the bytes in place: per row, a call into C++ (Buffer#indexOf,
// isUtf8, subarray, Buffer#write, Buffer#copy) cost more than the work it did.

/**
 * Whether b[from, to) is well-formed UTF-8 (as isUtf8 and a fatal TextDecoder decide: no overlong
 * form, no surrogate, nothing above U+10FFFF, nothing cut short).
 */
export function isUtf8Range(b: Uint8Array, from: number, to: number): boolean {
  let i = from;
  while (i < to) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      else if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      else if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return false;
    if (i + n >= to) return false;
    const d = b[i + 1];
    if (d < lo || d > hi) return false;
    for (let j = 2; j <= n; j++) {
      const e = b[i + j];
      if (e < 0x80 || e > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}

/** A name the general path accepts unchanged and encodes as is: 1-50 bytes, no control character, nothing to escape. */
function plainName(b: Uint8Array, from: number, to: number): boolean {
  const n = to - from;
  if (n < 1 || n > 50) return false;
  let wide = false;
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c < 0x20 || c === 0x7f || c === 0x5c || c === 0x3b || c === 0x3a) return false; // control, \ ; :
    if (c >= 0x80) {
      if (c === 0xc2 && i + 1 < to && b[i + 1] <= 0x9f) return false; // C1 control (U+0080-U+009F)
      wide = true;
    }
  }
  return !wide || isUtf8Range(b, from, to);
}

function plainDigits(b: Uint8Array, from: number, to: number, max: number): boolean {
  const n = to - from;
  if (n < 1 || n > max) return false;
  for (let i = from; i < to; i++) if (b[i] < 0x30 || b[i] > 0x39) return false;
  return true;
}

function realDate(b: Uint8Array, at: number, to: number): boolean {
  if (to - at !== 10 || b[at + 4] !== 0x2d || b[at + 7] !== 0x2d) return false;
  if (!plainDigits(b, at, at + 4, 4) || !plainDigits(b, at + 5, at + 7, 2) || !plainDigits(b, at + 8, at + 10, 2)) return false;
  const y = (b[at] - 48) * 1000 + (b[at + 1] - 48) * 100 + (b[at + 2] - 48) * 10 + (b[at + 3] - 48);
  const m = (b[at + 5] - 48) * 10 + (b[at + 6] - 48);
  const d = (b[at + 8] - 48) * 10 + (b[at + 9] - 48);
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS[m - 1]);
}

/** Streaming packer: feed line bytes in file order (no line ending, not empty), get packets back. */
export class APacker {
  readonly agency: number;
  readonly maxAmount: number;
  private readonly limit: number;
  /** The row being added: `;agency,betId,` + the row (at most a few hundred bytes; grown if needed). */
  private rowBuf = Buffer.allocUnsafe(512);
  /** `;agency,` as bytes. */
  private readonly head: Uint8Array;
  private rowLen = 0;
  private buf: Buffer;
  /** Bytes of the packet so far, header and final "\n" counted (as the Batcher counts). */
  private bytes = A_REQUEST_HEADER + 1;
  private count = 0;
  private nextBetId: number;
  private firstBetId: number;

  constructor(agency: number, maxAmount: number, maxPacket = MAX_PACKET_BYTES, firstBetId = 1) {
    const why = checkMaxAmount(maxAmount);
    if (why) throw new RangeError(why);
    this.agency = agency;
    this.maxAmount = maxAmount;
    this.limit = maxPacket;
    this.head = Buffer.from(`;${agency},`, 'latin1');
    this.nextBetId = firstBetId;
    this.firstBetId = firstBetId;
    this.buf = Buffer.allocUnsafe(maxPacket);
  }

  get pending(): number {
    return this.count;
  }

  /**
   * Validates and encodes one row for push(). A row the general path rejects throws its
   * ProtocolError (or, for bytes that are not UTF-8, the TextDecoder's TypeError).
   */
  row(line: Uint8Array): void {
    this.rowLen = this.encodeRow(line, 0, line.length, this.nextBetId);
  }

  /** row() for the line b[from, to) (no view made of it). */
  rowAt(b: Uint8Array, from: number, to: number): void {
    this.rowLen = this.encodeRow(b, from, to, this.nextBetId);
  }

  /** Adds the row encoded by row(); returns a finished packet when one is complete (at most one per call). */
  push(): APacket | null {
    const size = this.rowLen;
    if (A_REQUEST_HEADER + 1 + size > this.limit) {
      throw new ProtocolError('frame-too-large', `one bet needs ${A_REQUEST_HEADER + 1 + size} bytes, more than the ${this.limit}-byte packet`);
    }
    let out: APacket | null = null;
    if (this.count > 0 && this.bytes + size > this.limit) out = this.take(true);
    const dst = this.buf;
    const src = this.rowBuf;
    const at = this.bytes - 1; // after the header and the rows so far
    for (let i = 0; i < size; i++) dst[at + i] = src[i];
    this.bytes += size;
    this.count++;
    this.nextBetId++;
    if (out === null && this.count >= this.maxAmount) out = this.take(false);
    return out;
  }

  /** row() and push() in one. */
  add(line: Uint8Array): APacket | null {
    this.row(line);
    return this.push();
  }

  /** The last, partial packet (null if empty). */
  flush(): APacket | null {
    return this.count > 0 ? this.take(false) : null;
  }

  private take(closedEarly: boolean): APacket {
    const b = this.buf;
    const payload = this.bytes - A_REQUEST_HEADER - 1;
    b.write(`BET${String(payload).padStart(8, '0')}${String(this.count).padStart(4, '0')}00000000`, 0, A_REQUEST_HEADER, 'latin1');
    b[this.bytes - 1] = 0x0a;
    const out: APacket = { packet: b.subarray(0, this.bytes), count: this.count, firstBetId: this.firstBetId, closedEarly };
    this.buf = Buffer.allocUnsafe(this.limit);
    this.firstBetId += this.count;
    this.count = 0;
    this.bytes = A_REQUEST_HEADER + 1;
    return out;
  }

  /** Encodes `;agency,betId,<row>` for the line b[from, to) into rowBuf; returns its length. Throws when the row is invalid. */
  private encodeRow(b: Uint8Array, from: number, to: number, betId: number): number {
    // The four commas in one pass (a fifth: not plain).
    let c1 = -1;
    let c2 = -1;
    let c3 = -1;
    let c4 = -1;
    let commas = 0;
    for (let i = from; i < to && commas < 5; i++) {
      if (b[i] !== 0x2c) continue;
      if (commas === 0) c1 = i;
      else if (commas === 1) c2 = i;
      else if (commas === 2) c3 = i;
      else if (commas === 3) c4 = i;
      commas++;
    }
    const plain =
      commas === 4 &&
      plainName(b, from, c1) &&
      plainName(b, c1 + 1, c2) &&
      plainDigits(b, c2 + 1, c3, 10) &&
      realDate(b, c3 + 1, c4) &&
      plainDigits(b, c4 + 1, to, 4) &&
      (to - c4 - 1 === 1 || b[c4 + 1] !== 0x30); // "0042" is sent as 42: the general path
    if (!plain) return this.encodeGeneral(b.subarray(from, to), betId);
    const head = this.head;
    let digits = 1;
    for (let v = betId; v >= 10; v = Math.floor(v / 10)) digits++;
    const size = head.length + digits + 1 + to - from; // `;agency,` + betId + `,` + the row
    if (size > this.rowBuf.length) this.rowBuf = Buffer.allocUnsafe(size * 2);
    const r = this.rowBuf;
    let w = 0;
    for (; w < head.length; w++) r[w] = head[w];
    for (let i = digits - 1, v = betId; i >= 0; i--, v = Math.floor(v / 10)) r[w + i] = 0x30 + (v % 10);
    w += digits;
    r[w++] = 0x2c;
    for (let i = from; i < to; i++) r[w++] = b[i];
    return w;
  }

  private encodeGeneral(line: Uint8Array, betId: number): number {
    const bet = parseAgencyCsvRow(this.agency, utf8.decode(line));
    const text = `;${encodeABetFields(bet, betId)}`;
    const size = Buffer.byteLength(text, 'utf8');
    if (size > this.rowBuf.length) this.rowBuf = Buffer.allocUnsafe(size * 2);
    this.rowBuf.write(text, 0, 'utf8');
    return size;
  }
}
