// Datagrams and secret codes (eventdispatcher.md §5): one message per datagram, no newline; UDP
// carries at most 1024 bytes and Unix datagram sockets 64 KiB. A receiver drains every queued
// datagram per round: a parse failure is an ERROR and the next one is read; a secret-code failure
// is an ERROR, the datagram is dropped and the round ends (the rest is read next round). A
// datagram over the limit is an ERROR and dropped (upstream truncates it, which usually fails).

import { InvalidMessageError, Message } from '../../protocols/eventdispatcher/index.ts';
import type { Logger } from '../../runtime/index.ts';

export const UDP_MAX = 1024;
export const UNIX_DATAGRAM_MAX = 65_536;

/**
 * The bytes of one datagram: the message (plus `secret_code=<code>` on a copy when the code is
 * non-empty), refused over `max` with upstream's text (which prints the constant's name).
 */
export function encodeDatagram(msg: Message, secretCode = '', max = UDP_MAX, server = 'UDP'): Buffer {
  let m = msg;
  if (secretCode !== '') {
    m = msg.clone();
    m.addParameter('secret_code', secretCode);
  }
  const bytes = Buffer.from(m.toMessage(), 'utf8');
  if (bytes.length > max) {
    throw new InvalidMessageError(`message too large (${bytes.length} bytes) for a ${server} server (max: DATAGRAM_MAX_SIZE)`);
  }
  return bytes;
}

export type SecretVerdict = 'dispatch' | 'warn' | 'drop';

/** The §5 table: the datagram's secret_code against the receiver's expected code. */
export function checkSecret(msg: Message, expected: string): SecretVerdict {
  const has = msg.hasParameter('secret_code');
  if (has && msg.getParameter('secret_code') === expected) return 'dispatch';
  if (expected === '') return has ? 'warn' : 'dispatch';
  return 'drop';
}

export interface IntakeOptions {
  log: Logger;
  label: string;
  secretCode?: string;
  max?: number;
  message(msg: Message): void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class DatagramIntake {
  readonly #o: IntakeOptions;
  #queue: Buffer[] = [];
  dropped = 0;

  constructor(o: IntakeOptions) {
    this.#o = o;
  }

  push(data: Buffer): void {
    this.#queue.push(data);
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** One round: every queued datagram until a secret-code failure. Returns messages dispatched. */
  round(): number {
    const o = this.#o;
    const expected = o.secretCode ?? '';
    let n = 0;
    while (this.#queue.length > 0) {
      const raw = this.#queue.shift() as Buffer;
      // The receiver reads at most `max` bytes. Upstream parses the truncated text, which can
      // pass with a cut value; an oversize datagram is refused outright instead.
      if (raw.length > (o.max ?? UDP_MAX)) {
        this.dropped++;
        o.log.error(`invalid message: datagram of ${raw.length} bytes is over the ${o.max ?? UDP_MAX}-byte limit`, { conn: o.label });
        continue;
      }
      const data = raw;
      let text: string;
      try {
        text = utf8.decode(data);
      } catch {
        this.dropped++;
        o.log.error('invalid message: the datagram is not valid UTF-8', { conn: o.label, bytes: raw.length });
        continue;
      }
      const msg = new Message();
      if (!msg.fromMessage(text)) {
        this.dropped++;
        o.log.error(`invalid message: ${msg.lastError?.message ?? 'rejected'}`, { conn: o.label, bytes: raw.length });
        continue;
      }
      const verdict = checkSecret(msg, expected);
      if (verdict === 'drop') {
        this.dropped++;
        o.log.error('datagram dropped: its secret_code does not match', { conn: o.label, command: msg.command });
        break;
      }
      if (verdict === 'warn') o.log.warn('datagram carries a secret_code this receiver does not expect', { conn: o.label, command: msg.command });
      n++;
      o.message(msg);
    }
    return n;
  }
}
