// Lottery protocol A (`moyanoandres/tp0-base`, lottery.md §6.1): BET / ACK / FIN / WIN with
// fixed-width decimal headers, one TCP connection per message, plus the escaping of §6.5.
//
//   BET  client  "BET" size(8) count(4) batchId(8) | ";" bet (";" bet)* | "\n"
//                bet = agency,betId,nombre,apellido,documento,nacimiento,numero
//   FIN  client  "FIN" agency right-aligned, space-padded to 20 | "\n"          (24 bytes)
//   ACK  server  "ACK," size(8) | ",<agency>,<batchId>\n"   size = len("<agency>,<batchId>\n")
//   WIN  server  "WIN," size(8) | "dni,dni,..."              (no terminator)
//
// Our extension (legacy clients never send it; legacy servers do not know it): a restarted agency
// asks which of its batches the server has already committed, and resumes after them.
//   LST  client  "LST" agency right-aligned, space-padded to 20 | "\n"          (24 bytes, like FIN)
//   LST  server  "LST," size(8) | ",<agency>,<lastBatchId>,<rows>\n"  size = len("<agency>,<lastBatchId>,<rows>\n")
// lastBatchId: the highest committed protocol A batch id of the agency (0: none); rows: the bets of
// the agency the store holds (any protocol), all committed durably before the reply.

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { FixedHeaderDecoder, type HeaderFrame } from '../framing/fixed-header.ts';
import { makeBet, parseAgency, type Bet } from './bet.ts';
import { escapeField, splitEscaped, unescapeField } from './escape.ts';

export const A_REQUEST_HEADER = 23;
export const A_REPLY_HEADER = 12;
export const A_MAX_COUNT = 9999;
export const A_MAX_BATCH_ID = 99_999_999;
/** Default largest BET payload the server accepts (legacy clients may send more than 8 kB). */
export const A_DEFAULT_MAX_BODY = 1 << 20;

export type ARequest =
  | { type: 'BET'; count: number; batchId: number; agency: number; bets: Bet[] }
  | { type: 'FIN'; agency: number }
  | { type: 'LST'; agency: number };

export type AReply =
  | { type: 'ACK'; agency: number; batchId: number }
  | { type: 'WIN'; documents: string[] }
  | { type: 'LST'; agency: number; lastBatchId: number; rows: number };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    throw new ProtocolError('invalid-field', 'payload is not valid UTF-8');
  }
}

function digits(h: Buffer, from: number, width: number): number {
  let v = 0;
  for (let i = from; i < from + width; i++) {
    const d = h[i] - 0x30;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

// ---- encoding --------------------------------------------------------------------------

/** The text a bet adds to a BET payload, without the leading ';'. */
export function encodeABetFields(b: Bet, betId: number): string {
  return `${b.agency},${betId},${escapeField(b.firstName)},${escapeField(b.lastName)},${b.document},${b.birthdate},${b.number}`;
}

/** Bytes of a BET packet holding these bets (header + payload + "\n"), given their betIds. */
export function aBetPacketSize(betsBytes: number): number {
  return A_REQUEST_HEADER + betsBytes + 1;
}

/** A BET packet. `firstBetId` numbers the bets (the server ignores it). */
export function encodeABet(bets: readonly Bet[], batchId: number, firstBetId = 1): Buffer {
  if (bets.length < 1 || bets.length > A_MAX_COUNT) throw new ProtocolError('invalid-field', `a BET holds 1..${A_MAX_COUNT} bets, got ${bets.length}`);
  if (!Number.isInteger(batchId) || batchId < 0 || batchId > A_MAX_BATCH_ID) throw new ProtocolError('invalid-field', `batch id ${batchId} out of range`);
  let payload = '';
  for (let i = 0; i < bets.length; i++) payload += ';' + encodeABetFields(bets[i], firstBetId + i);
  const body = Buffer.from(payload, 'utf8');
  if (body.length > 99_999_999) throw new ProtocolError('frame-too-large', 'BET payload too large');
  const head = Buffer.from(`BET${pad(body.length, 8)}${pad(bets.length, 4)}${pad(batchId, 8)}`, 'latin1');
  return Buffer.concat([head, body, NL]);
}

const NL = Buffer.from('\n');

function agencyMessage(type: 'FIN' | 'LST', agency: number): Buffer {
  const id = String(agency);
  if (!Number.isInteger(agency) || agency < 1 || id.length > 20) throw new ProtocolError('invalid-field', `agency ${agency} out of range`);
  return Buffer.from(`${type}${id.padStart(20, ' ')}\n`, 'latin1');
}

export function encodeAFin(agency: number): Buffer {
  return agencyMessage('FIN', agency);
}

/** The resume query of our extension (see the top of the file). */
export function encodeALstQuery(agency: number): Buffer {
  return agencyMessage('LST', agency);
}

/** The server's answer to a resume query. */
export function encodeALstReply(agency: number, lastBatchId: number, rows: number): Buffer {
  if (!Number.isInteger(lastBatchId) || lastBatchId < 0 || lastBatchId > A_MAX_BATCH_ID) throw new ProtocolError('invalid-field', `batch id ${lastBatchId} out of range`);
  if (!Number.isSafeInteger(rows) || rows < 0) throw new ProtocolError('invalid-field', `row count ${rows} out of range`);
  const tail = `${agency},${lastBatchId},${rows}\n`;
  return Buffer.from(`LST,${pad(Buffer.byteLength(tail), 8)},${tail}`, 'latin1');
}

export function encodeAAck(agency: number, batchId: number): Buffer {
  const tail = `${agency},${batchId}\n`;
  return Buffer.from(`ACK,${pad(Buffer.byteLength(tail), 8)},${tail}`, 'latin1');
}

export function encodeAWin(documents: readonly string[]): Buffer {
  const body = Buffer.from(documents.join(','), 'utf8');
  return Buffer.concat([Buffer.from(`WIN,${pad(body.length, 8)}`, 'latin1'), body]);
}

// ---- decoding: client -> server ---------------------------------------------------------

/** Incremental decoder of BET/FIN frames (server side). */
export function aRequestDecoder(maxBodySize = A_DEFAULT_MAX_BODY): FixedHeaderDecoder {
  return new FixedHeaderDecoder({
    headerSize: A_REQUEST_HEADER,
    maxBodySize,
    trailer: '\n',
    validateHeader(h) {
      const t = h.toString('latin1', 0, 3);
      if (t === 'FIN' || t === 'LST') return null;
      if (t !== 'BET') return new ProtocolError('unknown-type', `unknown protocol A message type ${JSON.stringify(t)}`, 0);
      if (digits(h, 11, 4) < 0) return new ProtocolError('malformed', 'BET count is not 4 decimal digits', 11);
      if (digits(h, 15, 8) < 0) return new ProtocolError('malformed', 'BET batch id is not 8 decimal digits', 15);
      return null;
    },
    length: {
      read(h) {
        if (h[0] === 0x46 || h[0] === 0x4c) return 0; // FIN, LST
        const n = digits(h, 3, 8);
        return n < 0 ? new ProtocolError('malformed', 'BET payload size is not 8 decimal digits', 3) : n;
      },
    },
  });
}

/** How many bets a BET frame claims (for the `cantidad` of a fail line); 0 for FIN. */
export function aFrameCount(f: HeaderFrame): number {
  return f.header[0] === 0x42 ? Math.max(0, digits(f.header, 11, 4)) : 0;
}

/** Decodes and validates one complete BET/FIN frame. Throws ProtocolError. */
export function decodeARequest(f: HeaderFrame): ARequest {
  const h = f.header;
  if (h[0] === 0x46) {
    return { type: 'FIN', agency: parseAgency(h.toString('latin1', 3, 23)) };
  }
  if (h[0] === 0x4c) {
    return { type: 'LST', agency: parseAgency(h.toString('latin1', 3, 23)) };
  }
  const count = digits(h, 11, 4);
  const batchId = digits(h, 15, 8);
  const text = decodeUtf8(f.body);
  if (text.length === 0 || text[0] !== ';') throw new ProtocolError('malformed', 'BET payload must start with ";"');
  const parts = splitEscaped(text, ';');
  const n = parts.length - 1;
  if (n !== count) throw new ProtocolError('malformed', `BET header says ${count} bets, payload holds ${n}`);
  if (n < 1) throw new ProtocolError('malformed', 'BET without bets');
  const bets: Bet[] = new Array(n);
  let agency = 0;
  for (let i = 1; i <= n; i++) {
    const fs = splitEscaped(parts[i], ',');
    if (fs.length !== 7) throw new ProtocolError('malformed', `bet ${i} has ${fs.length} fields, expected 7`);
    const a = parseAgency(fs[0]);
    if (i === 1) agency = a;
    else if (a !== agency) throw new ProtocolError('invalid-field', `bet ${i} is for agency ${a}, the message is for agency ${agency}`);
    bets[i - 1] = makeBet(a, unescapeField(fs[2]), unescapeField(fs[3]), unescapeField(fs[4]), unescapeField(fs[5]), unescapeField(fs[6]));
  }
  return { type: 'BET', count, batchId, agency, bets };
}

// ---- decoding: server -> client ---------------------------------------------------------

/** Incremental decoder of ACK/WIN/LST replies (client side). ACK and LST bodies include their final "\n". */
export function aReplyDecoder(maxBodySize = 1 << 24): FixedHeaderDecoder {
  return new FixedHeaderDecoder({
    headerSize: A_REPLY_HEADER,
    maxBodySize,
    validateHeader(h) {
      const t = h.toString('latin1', 0, 4);
      if (t !== 'ACK,' && t !== 'WIN,' && t !== 'LST,') return new ProtocolError('unknown-type', `unknown protocol A reply ${JSON.stringify(t)}`, 0);
      return null;
    },
    length: {
      read(h) {
        const n = digits(h, 4, 8);
        if (n < 0) return new ProtocolError('malformed', 'reply size is not 8 decimal digits', 4);
        return h[0] === 0x57 ? n : n + 1; // ACK, LST: the leading ',' is not counted, the final '\n' is
      },
    },
  });
}

export function decodeAReply(f: HeaderFrame): AReply {
  const text = decodeUtf8(f.body);
  if (f.header[0] === 0x57) {
    if (text.length === 0) return { type: 'WIN', documents: [] };
    const docs = text.split(',');
    for (const d of docs) if (!/^[0-9]{1,10}$/.test(d)) throw new ProtocolError('invalid-field', `WIN holds a bad document ${JSON.stringify(d)}`);
    return { type: 'WIN', documents: docs };
  }
  if (f.header[0] === 0x4c) {
    const l = /^,([0-9]{1,20}),([0-9]{1,8}),([0-9]{1,15})\n$/.exec(text);
    if (!l) throw new ProtocolError('malformed', `bad LST body ${JSON.stringify(text)}`);
    return { type: 'LST', agency: parseAgency(l[1]), lastBatchId: Number(l[2]), rows: Number(l[3]) };
  }
  const m = /^,([0-9]{1,9}),([0-9]{1,8})\n$/.exec(text);
  if (!m) throw new ProtocolError('malformed', `bad ACK body ${JSON.stringify(text)}`);
  return { type: 'ACK', agency: Number(m[1]), batchId: Number(m[2]) };
}
