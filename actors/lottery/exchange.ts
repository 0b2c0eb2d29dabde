// One request/response over a fresh TCP connection (both protocols open one connection per
// message). Writes go through Node's socket, which writes every byte of the buffer (no short-write
// resend from offset 0); replies are decoded incrementally; EOF before a complete reply is an error.

import net from 'node:net';
import {
  aReplyDecoder,
  bFrameDecoder,
  decodeAReply,
  decodeB,
  type AReply,
  type BPacket,
} from '../../protocols/lottery/index.ts';

export type ReplyKind = 'A' | 'B' | 'line' | 'none';
export type ExchangeReply = { kind: 'A'; reply: AReply } | { kind: 'B'; packet: BPacket; parts: number } | { kind: 'line'; line: string } | { kind: 'eof' };

export class ExchangeError extends Error {
  /** The request may not have reached the server (safe and useful to retry). */
  readonly connectFailed: boolean;
  readonly code: string;
  constructor(message: string, code: string, connectFailed: boolean) {
    super(message);
    this.code = code;
    this.connectFailed = connectFailed;
  }
}

export interface ExchangeHandle {
  promise: Promise<ExchangeReply>;
  /** Abort: close the socket now (SIGTERM while parked on the draw). */
  cancel(): void;
}

/** A spare older than this is not used (the server's idle timeout, 30 s by default, could cut it). */
const SPARE_MAX_AGE_MS = 5_000;

/**
 * A connection opened ahead of the next exchange (both protocols still send one message per
 * connection): the agency opens it while it waits for the current reply, so the next request
 * does not wait for connect and accept. A spare that fails or is never used closes without a
 * byte sent, which the server ignores (DEBUG `peer closed`).
 */
export class SpareConnection {
  private socket: net.Socket | null;
  private readonly opened = Date.now();
  constructor(host: string, port: number) {
    const s = net.connect({ host, port, noDelay: true });
    s.on('error', () => this.discard());
    s.on('close', () => (this.socket = null));
    this.socket = s;
  }
  /** The socket, handed over once (null when it failed, closed, or is too old to trust). */
  take(): net.Socket | null {
    const s = this.socket;
    this.socket = null;
    if (s === null || s.destroyed || Date.now() - this.opened > SPARE_MAX_AGE_MS) {
      s?.destroy();
      return null;
    }
    s.removeAllListeners('error');
    s.removeAllListeners('close');
    return s;
  }
  discard(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}

/**
 * Sends `request` and reads one reply of `kind`. `eofOk`: a close without any reply byte counts as
 * `{kind:'eof'}` (protocol B AgencyClose to a legacy server). `spare`: a connection opened ahead
 * (used when it is still good, else a fresh one is opened).
 */
export function exchange(
  host: string,
  port: number,
  request: Buffer,
  kind: ReplyKind,
  o: { timeoutMs?: number; eofOk?: boolean; spare?: SpareConnection | null } = {},
): ExchangeHandle {
  let socket: net.Socket | null = null;
  let cancelled = false;
  const promise = new Promise<ExchangeReply>((resolve, reject) => {
    let settled = false;
    let connected = false;
    let got = 0;
    const done = (err: ExchangeError | null, value?: ExchangeReply): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      socket?.removeAllListeners('data');
      socket?.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = o.timeoutMs ? setTimeout(() => done(new ExchangeError(`no reply within ${o.timeoutMs} ms`, 'ETIMEDOUT', false)), o.timeoutMs) : null;
    const ready = o.spare?.take() ?? null;
    const s = ready ?? net.connect({ host, port, noDelay: true });
    socket = s;
    const a = kind === 'A' ? aReplyDecoder() : null;
    const b = kind === 'B' ? bFrameDecoder() : null;
    let parts = 0;
    let partDocs: string[] = [];
    let line = '';
    const send = (): void => {
      connected = true;
      s.write(request);
      if (kind === 'none') s.end();
    };
    if (ready !== null && !ready.connecting) send();
    else s.on('connect', send);
    s.on('data', (chunk: Buffer) => {
      got += chunk.length;
      try {
        if (a) {
          const f = a.push(chunk);
          if (f.length > 0) return done(null, { kind: 'A', reply: decodeAReply(f[0]) });
          if (a.error) throw a.error;
        } else if (b) {
          for (const f of b.push(chunk)) {
            const p = decodeB(f);
            if (p.type === 'WinnersPart') {
              parts++;
              partDocs = partDocs.concat(p.documents);
              continue;
            }
            if (p.type === 'WinnersResponse' && parts > 0) p.documents = partDocs.concat(p.documents);
            return done(null, { kind: 'B', packet: p, parts });
          }
          if (b.error) throw b.error;
        } else if (kind === 'line') {
          line += chunk.toString('utf8');
          const nl = line.indexOf('\n');
          if (nl >= 0) return done(null, { kind: 'line', line: line.slice(0, nl) });
        }
      } catch (err) {
        done(new ExchangeError(`bad reply: ${(err as Error).message}`, 'EPROTO', false));
      }
    });
    s.on('end', () => {
      if (kind === 'none' || (o.eofOk && got === 0)) return done(null, { kind: 'eof' });
      if (kind === 'line' && line.length > 0) return done(null, { kind: 'line', line });
      done(new ExchangeError(cancelled ? 'cancelled' : 'connection closed before a complete reply', cancelled ? 'ECANCELED' : 'EOF', false));
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      if (o.eofOk && connected && got === 0 && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) return done(null, { kind: 'eof' });
      done(new ExchangeError(err.message, err.code ?? 'EIO', !connected));
    });
    s.on('close', () => {
      if (!settled) done(new ExchangeError(cancelled ? 'cancelled' : 'connection closed', cancelled ? 'ECANCELED' : 'ECLOSED', !connected));
    });
  });
  return {
    promise,
    cancel() {
      cancelled = true;
      socket?.destroy();
    },
  };
}
