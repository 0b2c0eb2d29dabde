// A kept-open protocol A connection to our own server (our extension, see protocols/lottery/
// protocol-a.ts): a connection that begins with the LST resume query stays open after each reply,
// so an agency sends all its batches (and its FIN) over one connection instead of one each.
// Requests go one at a time (the agency waits for each reply). Any failure closes the link for
// good: the agency then goes back to one connection per message (exchange.ts), which is always
// correct, and the server still recognises a resent batch.

import net from 'node:net';
import { aReplyDecoder, decodeAReply } from '../../protocols/lottery/index.ts';
import { ExchangeError, type ExchangeHandle, type ExchangeReply } from './exchange.ts';

export class Link {
  private readonly socket: net.Socket;
  private connected = false;
  private dead = false;
  private busy = false;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('connect', () => (this.connected = true));
    // Failures reach the request in flight through its own listeners; between requests they only end the link.
    this.socket.on('error', () => (this.dead = true));
    this.socket.on('close', () => (this.dead = true));
  }

  /** Usable for the next request. */
  get alive(): boolean {
    return !this.dead && !this.busy;
  }

  /** Sends one protocol A request and reads its reply (ACK, WIN or LST). */
  request(bytes: Buffer, o: { timeoutMs?: number } = {}): ExchangeHandle {
    const s = this.socket;
    this.busy = true;
    let cancelled = false;
    const promise = new Promise<ExchangeReply>((resolve, reject) => {
      const decoder = aReplyDecoder();
      let settled = false;
      const done = (err: ExchangeError | null, value?: ExchangeReply): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        s.off('data', onData);
        s.off('error', onError);
        s.off('close', onClose);
        this.busy = false;
        if (err) {
          this.close();
          reject(err);
        } else resolve(value!);
      };
      const onData = (chunk: Buffer): void => {
        try {
          const f = decoder.push(chunk);
          if (f.length > 0) return done(null, { kind: 'A', reply: decodeAReply(f[0]) });
          if (decoder.error) throw decoder.error;
        } catch (err) {
          done(new ExchangeError(`bad reply: ${(err as Error).message}`, 'EPROTO', false));
        }
      };
      const onError = (err: NodeJS.ErrnoException): void => done(new ExchangeError(err.message, err.code ?? 'EIO', !this.connected));
      const onClose = (): void => done(new ExchangeError(cancelled ? 'cancelled' : 'connection closed before a complete reply', cancelled ? 'ECANCELED' : 'EOF', !this.connected));
      const timer = o.timeoutMs ? setTimeout(() => done(new ExchangeError(`no reply within ${o.timeoutMs} ms`, 'ETIMEDOUT', false)), o.timeoutMs) : null;
      if (this.dead) return done(new ExchangeError('link closed', 'ECLOSED', !this.connected));
      s.on('data', onData);
      s.on('error', onError);
      s.on('close', onClose);
      s.write(bytes);
    });
    return {
      promise,
      cancel: () => {
        cancelled = true;
        this.close();
      },
    };
  }

  close(): void {
    this.dead = true;
    this.socket.destroy();
  }
}
