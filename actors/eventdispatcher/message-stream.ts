// The buffered-lines and message layers of a stream connection (eventdispatcher.md §1.7, §3.4)
// over runtime/io's StreamConnection (the base layer: bytes): read bursts, one message per line
// (or, with `line`, the lines as text), `send` writes the line.
// Bad input affects this connection only: a malformed line or invalid UTF-8 is an ERROR log and
// the next line is read; a line over the limit is an ERROR and this connection closes.

import type { Duplex } from 'node:stream';
import { Message, ParameterError, type MessageFormat } from '../../protocols/eventdispatcher/index.ts';
import type { ProtocolError } from '../../protocols/errors.ts';
import type { Logger } from '../../runtime/index.ts';
import { StreamConnection } from '../../runtime/io/index.ts';
import { inNextRound } from '../../runtime/io/rounds.ts';
import { BurstReader } from './bursts.ts';
import { realClock, type Clock } from './clock.ts';

const BURST_HOLD = 'burst';
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface MessageStreamOptions {
  log: Logger;
  /** Names the connection in logs (`tcp 127.0.0.1:5000`). */
  label: string;
  message(msg: Message): void;
  /**
   * The buffered layer: when set, each line goes here as text (exactly empty lines skipped) and
   * is not parsed; `message` is then not called.
   */
  line?(text: string): void;
  /** The stream is gone (peer closed, error, or our close). */
  closed?(): void;
  clock?: Clock;
  eventLimit?: number;
  timeLimitUs?: number;
  maxLine?: number;
  /** Outgoing form (default string). Incoming lines may mix both. */
  format?: MessageFormat;
  /** Parse mode for incoming lines. */
  strict?: boolean;
  /**
   * Connection priority (§3.4): 0..255, lower first, default 100. Reads are handled in I/O rounds
   * (runtime/io/rounds.ts): connections with bytes in the same loop iteration go in this order.
   */
  priority?: number;
}

/** §3.4's check, with upstream's words. */
export function checkConnectionPriority(p: number): number {
  if (!Number.isInteger(p) || p < 0 || p > 255) {
    throw new ParameterError('connection::set_priority(): priority out of range, this instance of connection accepts priorities between 0 and 255.');
  }
  return p;
}

export class MessageStream {
  readonly conn: StreamConnection;
  readonly #o: MessageStreamOptions;
  readonly #reader: BurstReader;
  #scheduled = false;
  #done = false;
  #priority: number;
  #closedReported = false;
  received = 0;
  rejected = 0;

  constructor(stream: Duplex, o: MessageStreamOptions) {
    this.#o = o;
    this.#priority = checkConnectionPriority(o.priority ?? 100);
    this.#reader = new BurstReader({
      clock: o.clock ?? realClock,
      eventLimit: o.eventLimit,
      timeLimitUs: o.timeLimitUs,
      maxLine: o.maxLine,
      onLine: (line) => this.#line(line),
      onFramingError: (err) => this.#framingError(err),
    });
    this.conn = new StreamConnection(stream, {
      handlers: {
        bytes: (chunk) => this.#bytes(chunk),
        end: () => this.conn.close(),
        error: (err) => o.log.debug('stream error', { conn: o.label, error: err.message }),
        closed: () => this.#closedOnce(),
        fault: (err) => this.#fault(err),
      },
    });
  }

  /** Writes one message with its newline; false when the stream refused or is gone. */
  send(msg: Message): boolean {
    if (this.conn.closed) return false;
    return this.conn.write(`${msg.toMessage(this.#o.format ?? 'string')}\n`);
  }

  /** Writes a raw line (already serialized). */
  sendLine(line: string): boolean {
    if (this.conn.closed) return false;
    return this.conn.write(`${line}\n`);
  }

  /** Mark done: close once the pending output is flushed. */
  markDone(): void {
    if (this.#done) return;
    this.#done = true;
    this.conn.close();
  }

  get closed(): boolean {
    return this.conn.closed;
  }

  get priority(): number {
    return this.#priority;
  }

  /** Changing the priority applies from the next round (§3.4: it re-sorts). */
  set priority(p: number) {
    this.#priority = checkConnectionPriority(p);
  }

  #bytes(chunk: Buffer): void {
    this.#reader.push(chunk);
    this.#request();
  }

  /** A round in the next I/O round, in priority order with the other connections' rounds. */
  #request(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    inNextRound(this.#priority, () => {
      this.#scheduled = false;
      if (this.conn.closed) return;
      try {
        this.#round();
      } catch (err) {
        this.#fault(err);
      }
    });
  }

  /** A handler that throws (a service's callback) fails this connection only. */
  #fault(err: unknown): void {
    this.#o.log.error('message handler failed; closing this connection', { conn: this.#o.label, error: String(err) });
    this.conn.destroy();
    this.#closedOnce();
  }

  #closedOnce(): void {
    if (this.#closedReported) return;
    this.#closedReported = true;
    this.#o.closed?.();
  }

  /** One round; the rest of a burst waits (reading held) for a later round. */
  #round(): void {
    // Replies written during one round leave in one write (writev) instead of one each.
    const out = this.conn.stream;
    out.cork();
    try {
      this.#reader.round();
    } finally {
      out.uncork();
    }
    if (this.#reader.queued > 0 && !this.#reader.failed) {
      this.conn.hold(BURST_HOLD);
      this.#request();
    } else this.conn.release(BURST_HOLD);
  }

  #line(line: Buffer): void {
    const o = this.#o;
    let text: string;
    try {
      text = utf8.decode(line);
    } catch {
      this.rejected++;
      o.log.error('invalid message: the line is not valid UTF-8', { conn: o.label, bytes: line.length });
      return;
    }
    if (o.line) {
      this.received++;
      o.line(text);
      return;
    }
    const msg = new Message();
    if (!msg.fromMessage(text, o.strict ? { mode: 'strict' } : undefined)) {
      this.rejected++;
      o.log.error(`invalid message: ${msg.lastError?.message ?? 'rejected'}`, { conn: o.label, line: text.length > 200 ? `${text.slice(0, 200)}...` : text });
      return;
    }
    for (const key of msg.lastNotices) o.log.info('JSON message key ignored', { conn: o.label, key });
    this.received++;
    o.message(msg);
  }

  #framingError(err: ProtocolError): void {
    this.rejected++;
    this.#o.log.error(`invalid input: ${err.message}; closing this connection`, { conn: this.#o.label });
    this.conn.close(0);
  }
}
