// Node links over WebSocket (the `ws` package): ws:// or wss:// with optional mutual TLS. One
// channel per connection; binary frames for mail, text frames for the handshake.

import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { FrameChannel, Listener, Transport, TransportOptions } from './transport.ts';

/** Frames held while nobody reads (a handshake step, the link taking the channel): a few at most. */
const MAX_EARLY = 1024;
/** Close codes (4000-4999 are the application's): a dropped link, and a node stopping on purpose. */
const CLOSE_DROPPED = 4000;
const CLOSE_STOPPING = 4001;
/** ws.send options, made once (not an object per frame). */
const BINARY = { binary: true };
const TEXT = { binary: false };

class WsChannel implements FrameChannel {
  readonly remote: string;
  onClose: (why: string, deliberate: boolean) => void = () => {};
  private handler: ((data: Uint8Array | string) => void) | null = null;
  /** Frames that arrived before anyone listened (the challenge can come with the upgrade). */
  private early: (Uint8Array | string)[] = [];

  get onFrame(): ((data: Uint8Array | string) => void) | null {
    return this.handler;
  }

  set onFrame(f: ((data: Uint8Array | string) => void) | null) {
    this.handler = f;
    while (f !== null && this.early.length > 0 && this.handler === f && !this.closed) f(this.early.shift()!);
  }
  private ws: WebSocket;
  private closed = false;
  private why = '';

  constructor(ws: WebSocket, remote: string) {
    this.ws = ws;
    this.remote = remote;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.closed) return;
      const frame = isBinary ? (data as Buffer) : (data as Buffer).toString('utf8');
      if (this.handler !== null) this.handler(frame);
      else if (this.early.length < MAX_EARLY) this.early.push(frame);
      else this.close('too many frames before the link was ready');
    });
    ws.on('error', (err) => (this.why ||= err.message));
    ws.on('close', (code, reason) => {
      const text = reason.toString();
      if (code === CLOSE_STOPPING) this.finish(`peer node stopping${text && text !== 'node stopping' ? ` (${text})` : ''}`, true);
      else this.finish(this.why || text || `closed (${code})`, false);
    });
  }

  send(frame: Uint8Array | string): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(frame, typeof frame === 'string' ? TEXT : BINARY);
  }

  bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  close(reason: string, deliberate = false): void {
    if (this.closed) return;
    this.why ||= reason;
    // A close code with the reason: the peer's log says why it was dropped, and whether on purpose.
    try {
      this.ws.close(deliberate ? CLOSE_STOPPING : CLOSE_DROPPED, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 1000).unref();
    this.finish(reason, deliberate);
  }

  private finish(why: string, deliberate: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(why, deliberate);
  }
}

export function wsTransport(o: TransportOptions): Transport {
  return {
    async listen(url, onChannel, onRefused) {
      const u = new URL(url);
      const secure = u.protocol === 'wss:';
      if (!secure && u.protocol !== 'ws:') throw new Error(`listen address ${url}: expected ws:// or wss://`);
      const tls = o.tls;
      if (secure && (!tls?.cert || !tls.key)) throw new Error(`listen address ${url}: wss needs tls.cert and tls.key`);
      // Taken with getBuiltinModule, not `import http from 'node:http'`: the ESM facade of
      // node:http reads its lazy exports and so loads undici (fetch), ~13 MB of RSS for nothing.
      const server = secure
        ? (process.getBuiltinModule('node:https') as typeof import('node:https')).createServer({ cert: tls!.cert, key: tls!.key, ca: tls!.ca, requestCert: tls!.requireClientCert ?? false, rejectUnauthorized: tls!.requireClientCert ?? false })
        : (process.getBuiltinModule('node:http') as typeof import('node:http')).createServer();
      server.on('tlsClientError', (err, socket) => onRefused(`${socket.remoteAddress}:${socket.remotePort}`, `TLS: ${err.message}`));
      const wss = new WebSocketServer({ server, maxPayload: o.maxFrameBytes, perMessageDeflate: false });
      wss.on('connection', (ws, req) => {
        ws.on('error', () => {}); // reported through the channel's close
        onChannel(new WsChannel(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`));
      });
      wss.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(Number(u.port || (secure ? 443 : 80)), u.hostname.replace(/^\[|\]$/g, ''), () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      return {
        url: `${u.protocol}//${u.hostname}:${port}`,
        close: () =>
          new Promise<void>((resolve) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            server.close(() => resolve());
            server.closeAllConnections?.();
          }),
      };
    },

    dial(url) {
      return new Promise<FrameChannel>((resolve, reject) => {
        let u: URL;
        try {
          u = new URL(url);
        } catch {
          return reject(new Error(`not a URL: ${url}`));
        }
        const tls = o.tls;
        const ws = new WebSocket(url, {
          maxPayload: o.maxFrameBytes,
          perMessageDeflate: false,
          handshakeTimeout: o.connectTimeoutMs ?? 5000,
          // a zero mask: ws then neither masks (a copy of every frame here) nor unmasks (there).
          // Masking guards proxies against scripts in browsers; a node link is authenticated, and
          // its peers are our own processes
          generateMask: zeroMask,
          ...(u.protocol === 'wss:' ? { ca: tls?.ca, cert: tls?.cert, key: tls?.key, rejectUnauthorized: true } : {}),
        });
        const fail = (err: Error): void => {
          ws.removeAllListeners();
          ws.on('error', () => {});
          ws.terminate();
          reject(new Error(`cannot connect to ${url}: ${err.message}`));
        };
        ws.once('error', fail);
        ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
        ws.once('open', () => {
          ws.off('error', fail);
          ws.on('error', () => {});
          resolve(new WsChannel(ws, `${u.hostname}:${u.port}`));
        });
      });
    },
  };
}

function zeroMask(mask: Uint8Array): void {
  mask.fill(0);
}
