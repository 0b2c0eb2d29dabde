// A kept-open protocol A connection to our own server (our extension, see protocols/lottery/
// protocol-a.ts): a connection that begins with the LST resume query stays open after each reply,
// so an agency sends all its batches (and its FIN) over one connection instead of one each.
// Requests go one at a time (the agency waits for each reply). Any failure closes the link for
// good: the agency then goes back to one connection per message (exchange.ts), which is always
// correct, and the server still recognises a resent batch.

import net from 'node:net';
import { aReplyDecoder, decodeAReply } from '../../protocols/lottery/index.ts';
import { ExchangeError, type ExchangeHandle, type ExchangeReply } from './exchange.ts';

interface Pending {
  done: (err: ExchangeError | null, value?: ExchangeReply) => void;
  cancelled: boolean;
}

export class Link {
  private readonly socket: net.Socket;
  private connected = false;
  private dead = false;
  /** The request whose reply is awaited (one at a time). */
  private pending: Pending | null = null;
  /** One decoder and one set of listeners for the link's life, not one per request (~450 of them a run). */
  private readonly decoder = aReplyDecoder();

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('connect', () => (this.connected = true));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      this.dead = true;
      this.pending?.done(new ExchangeError(err.message, err.code ?? 'EIO', !this.connected));
    });
    this.socket.on('close', () => {
      this.dead = true;
      const p = this.pending;
      p?.done(new ExchangeError(p.cancelled ? 'cancelled' : 'connection closed before a complete reply', p.cancelled ? 'ECANCELED' : 'EOF', !this.connected));
    });
  }

  /** Usable for the next request. */
  get alive(): boolean {
    return !this.dead && this.pending === null;
  }

  private onData(chunk: Buffer): void {
    const p = this.pending;
    try {
      const f = this.decoder.push(chunk);
      if (this.decoder.error) throw this.decoder.error;
      if (f.length === 0) return;
      // A reply nobody asked for, or a second one: not our server; the link ends.
      if (p === null || f.length > 1) throw new Error(p === null ? 'a reply with no request' : 'more than one reply');
      p.done(null, { kind: 'A', reply: decodeAReply(f[0]) });
    } catch (err) {
      if (p) p.done(new ExchangeError(`bad reply: ${(err as Error).message}`, 'EPROTO', false));
      else this.close();
    }
  }

  /** Sends one protocol A request and reads its reply (ACK, WIN or LST). */
  request(bytes: Buffer, o: { timeoutMs?: number } = {}): ExchangeHandle {
    const p: Pending = { done: () => {}, cancelled: false };
    const promise = new Promise<ExchangeReply>((resolve, reject) => {
      p.done = (err, value) => {
        if (this.pending !== p) return;
        this.pending = null;
        if (timer) clearTimeout(timer);
        if (err) {
          this.close();
          reject(err);
        } else resolve(value!);
      };
      this.pending = p;
      const timer = o.timeoutMs ? setTimeout(() => p.done(new ExchangeError(`no reply within ${o.timeoutMs} ms`, 'ETIMEDOUT', false)), o.timeoutMs) : null;
      if (this.dead) return p.done(new ExchangeError('link closed', 'ECLOSED', !this.connected));
      this.socket.write(bytes);
    });
    return {
      promise,
      cancel: () => {
        p.cancelled = true;
        this.close();
      },
    };
  }

  close(): void {
    this.dead = true;
    this.socket.destroy();
  }
}
