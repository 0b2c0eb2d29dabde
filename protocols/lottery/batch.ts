// Batch grouping of the agency client (lottery.md §3 Ex6): every batch holds exactly `maxAmount`
// bets except the last, which holds the rest; a batch is closed early only when the next bet would
// push the packet past 8192 bytes (rows near the field limits).

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import type { Bet } from './bet.ts';
import { A_MAX_COUNT, A_REQUEST_HEADER } from './protocol-a.ts';
import { B_MAX_FRAME } from './protocol-b.ts';

export const MAX_PACKET_BYTES = 8192;
export const DEFAULT_MAX_AMOUNT = 35;
export const MIN_MAX_AMOUNT = 1;
export const MAX_MAX_AMOUNT = A_MAX_COUNT;

export type WireProtocol = 'A' | 'B';

export function checkMaxAmount(n: number): string | null {
  return Number.isInteger(n) && n >= MIN_MAX_AMOUNT && n <= MAX_MAX_AMOUNT ? null : `batch.maxAmount must be an integer in ${MIN_MAX_AMOUNT}..${MAX_MAX_AMOUNT}, got ${n}`;
}

/**
 * Packet-size accounting for one protocol and agency. `fixed` is the size of a packet with no bets;
 * `betBytes(bet, index)` is what one more bet adds (its separator included).
 */
export interface PacketSizer {
  fixed: number;
  limit: number;
  betBytes(bet: Bet, betId: number): number;
}

const SPECIAL = /[\\,;:]/;
const SPECIAL_G = /[\\,;:]/g;

/** UTF-8 bytes of a text field once escaped (§6.5), without building the escaped string. */
export function escapedBytes(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      n = Buffer.byteLength(s, 'utf8');
      break;
    }
  }
  return SPECIAL.test(s) ? n + (s.match(SPECIAL_G)?.length ?? 0) : n;
}

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10_000 ? 4 : String(n).length;
}

export function sizer(protocol: WireProtocol, agency: number, maxPacket = MAX_PACKET_BYTES): PacketSizer {
  // Both layouts: names escaped, document, 10-byte date, number; A adds agency and betId.
  const common = (b: Bet): number => escapedBytes(b.firstName) + escapedBytes(b.lastName) + b.document.length + b.birthdate.length + digits(b.number);
  if (protocol === 'A') {
    // ";" + agency,betId,nombre,apellido,documento,nacimiento,numero
    return { fixed: A_REQUEST_HEADER + 1, limit: maxPacket, betBytes: (b, id) => 1 + digits(b.agency) + digits(id) + 6 + common(b) };
  }
  // 2-byte prefix + "StoreBatch:<agency>" + (":" nombre;apellido;documento;nacimiento;numero)*; L <= 8190.
  return {
    fixed: 2 + 'StoreBatch:'.length + digits(agency),
    limit: Math.min(maxPacket, B_MAX_FRAME + 2),
    betBytes: (b) => 1 + 4 + common(b),
  };
}

/** Streaming grouper: feed bets in file order, get batches back. */
export class Batcher {
  readonly maxAmount: number;
  private readonly s: PacketSizer;
  private items: Bet[] = [];
  private bytes: number;
  private nextBetId: number;
  private firstBetId: number;
  /** True when the last batch returned by add() was closed early by the packet cap. */
  closedEarly = false;

  constructor(s: PacketSizer, maxAmount: number, firstBetId = 1) {
    const why = checkMaxAmount(maxAmount);
    if (why) throw new RangeError(why);
    this.s = s;
    this.maxAmount = maxAmount;
    this.bytes = s.fixed;
    this.nextBetId = firstBetId;
    this.firstBetId = firstBetId;
  }

  get pending(): number {
    return this.items.length;
  }

  /** Adds a bet; returns a finished batch when one is complete (at most one per call). */
  add(bet: Bet): { bets: Bet[]; firstBetId: number } | null {
    const size = this.s.betBytes(bet, this.nextBetId);
    if (this.s.fixed + size > this.s.limit) {
      throw new ProtocolError('frame-too-large', `one bet needs ${this.s.fixed + size} bytes, more than the ${this.s.limit}-byte packet`);
    }
    let out: { bets: Bet[]; firstBetId: number } | null = null;
    this.closedEarly = false;
    if (this.items.length > 0 && this.bytes + size > this.s.limit) {
      out = this.take();
      this.closedEarly = true;
    }
    this.items.push(bet);
    this.bytes += size;
    this.nextBetId++;
    if (out === null && this.items.length >= this.maxAmount) out = this.take();
    return out;
  }

  /** The last, partial batch (null if empty). */
  flush(): { bets: Bet[]; firstBetId: number } | null {
    return this.items.length > 0 ? this.take() : null;
  }

  private take(): { bets: Bet[]; firstBetId: number } {
    const bets = this.items;
    const firstBetId = this.firstBetId;
    this.items = [];
    this.bytes = this.s.fixed;
    this.firstBetId = this.firstBetId + bets.length;
    return { bets, firstBetId };
  }
}

/** Whole-list grouping (tests, tools). */
export function groupBets(bets: readonly Bet[], protocol: WireProtocol, agency: number, maxAmount: number, maxPacket = MAX_PACKET_BYTES): Bet[][] {
  const b = new Batcher(sizer(protocol, agency, maxPacket), maxAmount);
  const out: Bet[][] = [];
  for (const x of bets) {
    const r = b.add(x);
    if (r) out.push(r.bets);
  }
  const last = b.flush();
  if (last) out.push(last.bets);
  return out;
}
