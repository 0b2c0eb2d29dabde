// Lottery protocol B (`efoppiano/tp0`, lottery.md §6.2): 2-byte big-endian length L (1..8190),
// then L bytes of UTF-8 "<Type>:<body>", one connection per request/response, with the escaping
// of §6.5 in text fields.
//
//   StoreBet        agency;nombre;apellido;documento;nacimiento;numero          -> StoreResponse
//   StoreBatch      agency:bet:bet:...   bet = nombre;apellido;documento;nacimiento;numero
//   StoreResponse   0 stored | 1 error
//   AgencyClose     agency            (ours answers StoreResponse:0 once the close is durable)
//   WinnersRequest  agency            -> WinnersResponse | NotReadyResponse
//   WinnersResponse dni;dni;...       (empty: no winners)
//   WinnersPart     dni;dni;...       (a part of a list too long for one packet; then WinnersResponse)
//   NotReadyResponse (empty body, the ':' is present)
//
// Compatibility: a StoreBatch whose first segment is `agency;bet` (an early revision's layout) is
// accepted too; the two layouts cannot be confused (a bare agency id has no ';').

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { encodeLength16, Length16Decoder } from '../framing/length16.ts';
import { makeBet, parseAgency, type Bet } from './bet.ts';
import { escapeField, splitEscaped, unescapeField } from './escape.ts';

/** Largest L (payload bytes after the 2-byte prefix). */
export const B_MAX_FRAME = 8190;

export type BPacket =
  | { type: 'StoreBet'; bet: Bet }
  | { type: 'StoreBatch'; agency: number; bets: Bet[] }
  | { type: 'StoreResponse'; status: 0 | 1 }
  | { type: 'AgencyClose'; agency: number }
  | { type: 'WinnersRequest'; agency: number }
  | { type: 'WinnersResponse'; documents: string[] }
  | { type: 'WinnersPart'; documents: string[] }
  | { type: 'NotReadyResponse' };

export type BType = BPacket['type'];

const TYPES: ReadonlySet<string> = new Set<BType>([
  'StoreBet',
  'StoreBatch',
  'StoreResponse',
  'AgencyClose',
  'WinnersRequest',
  'WinnersResponse',
  'WinnersPart',
  'NotReadyResponse',
]);

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function bFrameDecoder(maxFrameSize = B_MAX_FRAME): Length16Decoder {
  return new Length16Decoder({ maxFrameSize });
}

/** The body text of one bet inside StoreBatch (no agency). */
export function encodeBBetFields(b: Bet): string {
  return `${escapeField(b.firstName)};${escapeField(b.lastName)};${b.document};${b.birthdate};${b.number}`;
}

/** The `<Type>:<body>` text of a packet. */
export function bPacketText(p: BPacket): string {
  switch (p.type) {
    case 'StoreBet':
      return `StoreBet:${p.bet.agency};${encodeBBetFields(p.bet)}`;
    case 'StoreBatch': {
      let s = `StoreBatch:${p.agency}`;
      for (const b of p.bets) {
        if (b.agency !== p.agency) throw new ProtocolError('invalid-field', `bet for agency ${b.agency} in a batch of agency ${p.agency}`);
        s += ':' + encodeBBetFields(b);
      }
      return s;
    }
    case 'StoreResponse':
      return `StoreResponse:${p.status}`;
    case 'AgencyClose':
      return `AgencyClose:${p.agency}`;
    case 'WinnersRequest':
      return `WinnersRequest:${p.agency}`;
    case 'WinnersResponse':
      return `WinnersResponse:${p.documents.join(';')}`;
    case 'WinnersPart':
      return `WinnersPart:${p.documents.join(';')}`;
    case 'NotReadyResponse':
      return 'NotReadyResponse:';
  }
}

/** One framed packet. Throws ProtocolError('frame-too-large') past 8190 bytes. */
export function encodeB(p: BPacket, maxFrameSize = B_MAX_FRAME): Buffer {
  return encodeLength16(Buffer.from(bPacketText(p), 'utf8'), { maxFrameSize });
}

/**
 * A winners list as packets: WinnersPart* then WinnersResponse, each within the frame limit.
 * A list that fits is a single WinnersResponse (what legacy clients read).
 */
export function encodeBWinners(documents: readonly string[], maxFrameSize = B_MAX_FRAME): Buffer[] {
  const out: Buffer[] = [];
  const whole = Buffer.from(`WinnersResponse:${documents.join(';')}`, 'utf8');
  if (whole.length <= maxFrameSize) return [encodeLength16(whole, { maxFrameSize })];
  let part: string[] = [];
  let size = 'WinnersPart:'.length;
  for (const d of documents) {
    const add = (part.length > 0 ? 1 : 0) + Buffer.byteLength(d);
    if (size + add > maxFrameSize) {
      out.push(encodeB({ type: 'WinnersPart', documents: part }, maxFrameSize));
      part = [];
      size = 'WinnersPart:'.length;
    }
    size += (part.length > 0 ? 1 : 0) + Buffer.byteLength(d);
    part.push(d);
  }
  out.push(encodeB({ type: 'WinnersResponse', documents: part }, maxFrameSize));
  return out;
}

/** The packet type named by a frame (null if unknown), without decoding the body. */
export function bFrameType(frame: Uint8Array): BType | null {
  const n = Math.min(frame.length, 24);
  for (let i = 0; i < n; i++) {
    if (frame[i] === 0x3a) {
      const t = Buffer.from(frame.buffer, frame.byteOffset, i).toString('latin1');
      return TYPES.has(t) ? (t as BType) : null;
    }
  }
  return null;
}

/** How many bets a StoreBet/StoreBatch frame holds, by counting separators (for fail lines). */
export function bFrameCount(frame: Uint8Array): number {
  const t = bFrameType(frame);
  if (t === 'StoreBet') return 1;
  if (t !== 'StoreBatch') return 0;
  let text: string;
  try {
    text = utf8.decode(frame);
  } catch {
    return 0;
  }
  const parts = splitEscaped(text.slice('StoreBatch:'.length), ':');
  return parts.length === 1 ? (parts[0].includes(';') ? 1 : 0) : parts[0].includes(';') ? parts.length : parts.length - 1;
}

function documents(body: string): string[] {
  if (body.length === 0) return [];
  const docs = body.split(';');
  for (const d of docs) if (!/^[0-9]{1,10}$/.test(d)) throw new ProtocolError('invalid-field', `bad document ${JSON.stringify(d)} in a winners list`);
  return docs;
}

function betFields(agency: number, text: string, what: string): Bet {
  const f = splitEscaped(text, ';');
  if (f.length !== 5) throw new ProtocolError('malformed', `${what} has ${f.length} fields, expected 5`);
  return makeBet(agency, unescapeField(f[0]), unescapeField(f[1]), unescapeField(f[2]), unescapeField(f[3]), unescapeField(f[4]));
}

/** Decodes and validates one frame payload. Throws ProtocolError. */
export function decodeB(frame: Uint8Array): BPacket {
  let text: string;
  try {
    text = utf8.decode(frame);
  } catch {
    throw new ProtocolError('invalid-field', 'packet is not valid UTF-8');
  }
  const colon = text.indexOf(':');
  if (colon < 0) throw new ProtocolError('malformed', 'packet without a "<Type>:" prefix');
  const type = text.slice(0, colon);
  const body = text.slice(colon + 1);
  switch (type) {
    case 'StoreBet': {
      const f = splitEscaped(body, ';');
      if (f.length !== 6) throw new ProtocolError('malformed', `StoreBet has ${f.length} fields, expected 6`);
      const agency = parseAgency(unescapeField(f[0]));
      return {
        type,
        bet: makeBet(agency, unescapeField(f[1]), unescapeField(f[2]), unescapeField(f[3]), unescapeField(f[4]), unescapeField(f[5])),
      };
    }
    case 'StoreBatch': {
      const parts = splitEscaped(body, ':');
      const bets: Bet[] = [];
      let agency: number;
      const head = splitEscaped(parts[0], ';');
      if (head.length === 1) {
        agency = parseAgency(unescapeField(head[0]));
      } else if (head.length === 6) {
        agency = parseAgency(unescapeField(head[0]));
        bets.push(makeBet(agency, unescapeField(head[1]), unescapeField(head[2]), unescapeField(head[3]), unescapeField(head[4]), unescapeField(head[5])));
      } else {
        throw new ProtocolError('malformed', 'StoreBatch must start with the agency id');
      }
      for (let i = 1; i < parts.length; i++) bets.push(betFields(agency, parts[i], `bet ${bets.length + 1}`));
      if (bets.length === 0) throw new ProtocolError('malformed', 'StoreBatch without bets');
      return { type, agency, bets };
    }
    case 'StoreResponse':
      if (body !== '0' && body !== '1') throw new ProtocolError('invalid-field', `StoreResponse status ${JSON.stringify(body)}`);
      return { type, status: body === '0' ? 0 : 1 };
    case 'AgencyClose':
    case 'WinnersRequest':
      if (!/^[0-9]{1,9}$/.test(body)) throw new ProtocolError('invalid-field', `${type} agency ${JSON.stringify(body)}`);
      return { type, agency: parseAgency(body) };
    case 'WinnersResponse':
    case 'WinnersPart':
      return { type, documents: documents(body) };
    case 'NotReadyResponse':
      if (body.length !== 0) throw new ProtocolError('malformed', 'NotReadyResponse has a body');
      return { type };
    default:
      throw new ProtocolError('unknown-type', `unknown packet type ${JSON.stringify(type.slice(0, 32))}`);
  }
}
