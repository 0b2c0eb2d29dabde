// The broker server node (broker.md §5.2): the link acceptor (ws on `listen`, authenticated by a
// shared secret when one is configured), one LbLink per local broker, and the core with its
// single-writer journal. A failed durable write stops the node (fail-stop, exit 1).

import { timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { loggerFor } from '../../../runtime/log/log.ts';
import type { ServerSettings } from '../limits.ts';
import { WsTransport } from '../link/ws-transport.ts';
import { BrokerCore } from './core.ts';
import { openJournal } from './journal.ts';
import { LbLink } from './lb-link.ts';

export interface ServerHandle {
  readonly port: number;
  readonly core: BrokerCore;
  stop(): Promise<void>;
}

export function splitListen(listen: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw Object.assign(new Error(`listen: expected host:port, found ${JSON.stringify(listen)}`), { exitCode: 2 });
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export function secretMatches(req: IncomingMessage, secret: string | null): boolean {
  if (secret === null) return true;
  const given = Buffer.from(String(req.headers.authorization ?? ''));
  const want = Buffer.from(`Bearer ${secret}`);
  return given.length === want.length && timingSafeEqual(given, want);
}

export async function startBrokerServer(s: ServerSettings, onFatal: (err: Error) => void): Promise<ServerHandle> {
  const log = loggerFor('/broker/server');
  if (s.durability !== 'off') mkdirSync(s.dataDir, { recursive: true });
  const journal = openJournal(s.dataDir, s.durability);
  const core = new BrokerCore(journal, {
    limits: s.limits,
    pushWindow: s.pushWindow,
    onFatal: (e) => {
      log.error('durable write failed; stopping the broker server', { err: e.message });
      onFatal(e);
    },
  }, s.defaultTopics);
  const links = new Set<LbLink>();
  const byLb = new Map<string, LbLink>();
  const { host, port } = splitListen(s.listen);
  const wss = new WebSocketServer({
    host,
    port,
    maxPayload: 64 * 1024 * 1024,
    verifyClient: (info: { req: IncomingMessage }) => secretMatches(info.req, s.secret),
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('error', (e) => log.error('link acceptor error', { err: e.message }));
  wss.on('connection', (ws) => {
    const link = new LbLink(core, log, (lb, l) => {
      // a newer link of the same local broker replaces the old one (it reconnected)
      const old = byLb.get(lb);
      if (old && old !== l) old.drain('replaced by a newer link of the same local broker');
      byLb.set(lb, l);
    });
    links.add(link);
    link.transport = new WsTransport(ws, {
      frame: (f) => link.frame(f),
      closed: (reason) => {
        links.delete(link);
        if (link.lbId !== null && byLb.get(link.lbId) === link) byLb.delete(link.lbId);
        link.closed(reason);
      },
    }, { maxFrameBytes: s.limits.maxFrameBytes, pingMs: 10_000 });
  });
  const actual = (wss.address() as AddressInfo).port;
  log.info('broker server listening', { listen: `${host}:${actual}`, dataDir: s.dataDir, durability: s.durability });
  return {
    port: actual,
    core,
    async stop() {
      for (const l of links) l.drain('the broker server is stopping');
      core.flush();
      await new Promise<void>((r) => wss.close(() => r()));
      for (const c of wss.clients) c.terminate();
      journal.close();
    },
  };
}
