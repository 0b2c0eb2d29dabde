// The browser and remote endpoint of a local broker (issue 15 §5): the same JSON requests and
// replies as the Unix socket, one per ws text message. Off unless `wsListen` is configured, and
// then it requires the shared secret: browsers cannot set headers on a WebSocket, so it comes as
// `?secret=` in the URL (compared in constant time) or as an `Authorization: Bearer` header.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { BROKER_ERRORS, decodeJsonRequest, encodeJsonReply } from '../../../protocols/broker/index.ts';
import { ProtocolError } from '../../../protocols/errors.ts';
import type { Logger } from '../../../runtime/actor/types.ts';
import type { LocalBroker } from './local-broker.ts';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function wsAuthorized(req: IncomingMessage, secret: string): boolean {
  const given = new URL(req.url ?? '/', 'ws://x').searchParams.get('secret');
  if (given !== null) return same(given, secret);
  return same(String(req.headers.authorization ?? ''), `Bearer ${secret}`);
}

export class WsGateway {
  readonly #wss: WebSocketServer;
  port = 0;

  private constructor(wss: WebSocketServer) {
    this.#wss = wss;
  }

  static async listen(lb: LocalBroker, log: Logger, o: { host: string; port: number; secret: string; maxFrameBytes: number }): Promise<WsGateway> {
    const wss = new WebSocketServer({ host: o.host, port: o.port, maxPayload: o.maxFrameBytes, verifyClient: (info: { req: IncomingMessage }) => wsAuthorized(info.req, o.secret) });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    const g = new WsGateway(wss);
    g.port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws) => {
      const caller = { alive: true };
      ws.on('close', () => (caller.alive = false));
      ws.on('error', () => {});
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        let req;
        try {
          if (isBinary) throw new ProtocolError('malformed', 'send requests as text messages');
          req = decodeJsonRequest(data);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          ws.send(encodeJsonReply({ type: 'error', rid: 0, code: BROKER_ERRORS.PROTOCOL_ERROR, description: e.message }));
          ws.close(1008, 'protocol error');
          return;
        }
        void lb.handle(req, caller).then(
          (r) => ws.readyState === ws.OPEN && ws.send(encodeJsonReply(r)),
          (e: unknown) => log.error('ws request failed inside the local broker', { err: String(e) }),
        );
      });
    });
    log.info('local broker ws endpoint listening', { port: g.port });
    return g;
  }

  close(): Promise<void> {
    for (const c of this.#wss.clients) c.terminate();
    return new Promise((r) => this.#wss.close(() => r()));
  }
}
