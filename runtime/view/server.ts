// The live view's server: plain node:http for the page's files, `ws` on /ws for the live stream.
// Loopback by default; a public address only with the node secret (every page then answers a
// challenge). Cross-origin pages and, on loopback, foreign Host names (DNS rebinding) are refused.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { loggerFor } from '../log/log.ts';
import type { Logger } from '../actor/types.ts';
import { checkExposure, isLoopback, type ViewAddress } from './address.ts';
import { DEFAULT_CAPS, ViewHub, type HubStats, type ViewCaps } from './hub.ts';
import type { ViewSource } from './source.ts';
import { StaticFiles } from './static.ts';

export interface ViewServerOptions extends ViewAddress {
  source: ViewSource;
  secret?: string | null;
  log?: Logger;
  tickMs?: number;
  snapshotMs?: number;
  caps?: Partial<ViewCaps>;
}

export interface ViewServer {
  /** e.g. http://127.0.0.1:8080/ */
  url: string;
  port: number;
  stats(): HubStats;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};

function hostName(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader) ?? /^([^:]+)(?::\d+)?$/.exec(hostHeader);
  return m ? m[1] : '';
}

export async function startViewServer(o: ViewServerOptions): Promise<ViewServer> {
  const secret = o.secret ?? null;
  checkExposure(o, secret);
  const log = o.log ?? loggerFor('view');
  const caps = { ...DEFAULT_CAPS, ...o.caps };
  const loopbackOnly = isLoopback(o.host);
  const files = new StaticFiles();
  const hub = new ViewHub({ source: o.source, secret, log, tickMs: o.tickMs ?? 1000, snapshotMs: o.snapshotMs ?? 1000, caps });

  /** Why a request may not proceed (null: it may). */
  const refusal = (req: http.IncomingMessage): string | null => {
    if (loopbackOnly && !isLoopback(hostName(req.headers.host))) return `Host ${JSON.stringify(req.headers.host ?? '')} is not a loopback name`;
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        return 'unreadable Origin';
      }
      if (originHost !== req.headers.host) return `cross-origin page ${origin}`;
    }
    return null;
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const refused = refusal(req);
    if (refused) return void res.writeHead(403, { 'Content-Type': 'text/plain' }).end(`${refused}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    if (!files.has(path)) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    files.get(path).then(
      (f) => {
        res.writeHead(200, { 'Content-Type': f!.type, 'Content-Length': f!.body.length, ...SECURITY_HEADERS });
        res.end(req.method === 'HEAD' ? undefined : f!.body);
      },
      (err) => {
        log.error('view file unreadable', { path, error: String(err) });
        res.writeHead(500).end();
      },
    );
  });
  // Slow or idle HTTP clients cannot hold the server: bounded time to send a request, and a
  // bounded number of sockets (pages, their file requests, and a margin).
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5000;
  server.maxConnections = caps.maxClients * 8;

  const wss = new WebSocketServer({ noServer: true, maxPayload: caps.maxPayload, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const deny = (status: number, why: string): void => {
      log.warn('view client refused', { peer, reason: why });
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${why}\n`);
    };
    if ((req.url ?? '').split('?')[0] !== '/ws') return deny(404, 'the live stream is at /ws');
    const refused = refusal(req);
    if (refused) return deny(403, refused);
    if (hub.size >= caps.maxClients) return deny(503, `already ${caps.maxClients} pages open`);
    wss.handleUpgrade(req, socket, head, (ws) => hub.add(ws, peer));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot serve the view on ${o.host}:${o.port}: ${err.code ?? err.message}`)));
    server.listen(o.port, o.host, () => resolve());
  });
  server.on('error', (err) => log.error('view server error', { error: String(err) }));
  const port = (server.address() as AddressInfo).port;
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `http://${shownHost}:${port}/`;
  log.info('live view serving', { url, authenticated: secret !== null });
  return {
    url,
    port,
    stats: () => hub.stats(),
    close: () =>
      new Promise<void>((resolve) => {
        hub.closeAll(1001, 'the system is stopping');
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
