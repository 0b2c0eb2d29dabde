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

/**
 * Sends `request` and reads one reply of `kind`. `eofOk`: a close without any reply byte counts as
 * `{kind:'eof'}` (protocol B AgencyClose to a legacy server).
 */
export function exchange(host: string, port: number, request: Buffer, kind: ReplyKind, o: { timeoutMs?: number; eofOk?: boolean } = {}): ExchangeHandle {
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
    const s = net.connect({ host, port, noDelay: true });
    socket = s;
    const a = kind === 'A' ? aReplyDecoder() : null;
    const b = kind === 'B' ? bFrameDecoder() : null;
    let parts = 0;
    let partDocs: string[] = [];
    let line = '';
    s.on('connect', () => {
      connected = true;
      s.write(request);
      if (kind === 'none') s.end();
    });
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
