// The buffered-lines and message layers of a stream connection (eventdispatcher.md §1.7, §3.4)
// over runtime/io's StreamConnection (the base layer: bytes): read bursts, one message per line
// (or, with `line`, the lines as text), `send` writes the line.
// Bad input affects this connection only: a malformed line or invalid UTF-8 is an ERROR log and
// the next line is read; a line over the limit is an ERROR and this connection closes.

import type { Duplex } from 'node:stream';
import { Message, type MessageFormat } from '../../protocols/eventdispatcher/index.ts';
import type { ProtocolError } from '../../protocols/errors.ts';
import type { Logger } from '../../runtime/index.ts';
import { StreamConnection } from '../../runtime/io/index.ts';
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
}

export class MessageStream {
  readonly conn: StreamConnection;
  readonly #o: MessageStreamOptions;
  readonly #reader: BurstReader;
  #scheduled = false;
  #done = false;
  received = 0;
  rejected = 0;

  constructor(stream: Duplex, o: MessageStreamOptions) {
    this.#o = o;
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
        closed: () => o.closed?.(),
        fault: (err) => {
          // A handler that throws (a service's callback) fails this connection only.
          o.log.error('message handler failed; closing this connection', { conn: o.label, error: String(err) });
          this.conn.destroy();
          o.closed?.();
        },
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

  #bytes(chunk: Buffer): void {
    this.#reader.push(chunk);
    this.#round();
  }

  /** One round now; more rounds later (setImmediate lets other connections run in between). */
  #round(): void {
    if (this.#scheduled) return;
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
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        if (this.conn.closed) return;
        this.#round();
      });
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
