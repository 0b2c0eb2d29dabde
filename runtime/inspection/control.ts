// The control socket: a Unix socket per running system through which `actor-runtime inspect` and
// `top` read snapshots and follow the event stream. Newline-delimited JSON requests and replies.

import net from 'node:net';
import os from 'node:os';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ActorSystem } from '../kernel/system.ts';

export const controlDir = (): string => join(os.tmpdir(), 'actor-runtime');

export function defaultSocketPath(name: string): string {
  return join(controlDir(), `${name}.${process.pid}.sock`);
}

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

export async function startControlServer(system: ActorSystem, path = defaultSocketPath(system.name)): Promise<ControlServer> {
  mkdirSync(controlDir(), { recursive: true });
  rmSync(path, { force: true });
  const server = net.createServer((sock) => {
    sock.setEncoding('utf8');
    let buf = '';
    let unsubscribe: (() => void) | null = null;
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 65536) return sock.destroy();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void handle(line);
      }
    });
    const send = (obj: unknown): void => {
      if (!sock.destroyed) sock.write(`${JSON.stringify(obj)}\n`);
    };
    const handle = async (line: string): Promise<void> => {
      let req: { op?: string };
      try {
        req = JSON.parse(line);
      } catch {
        return send({ ok: false, error: 'request is not JSON' });
      }
      switch (req.op) {
        case 'snapshot':
          return send({ ok: true, snapshot: await system.snapshot() });
        case 'events':
          unsubscribe ??= system.events.subscribe((ev) => send({ ok: true, event: ev }));
          return;
        default:
          return send({ ok: false, error: `unknown op ${JSON.stringify(req.op)} (expected snapshot or events)` });
      }
    };
    sock.on('close', () => unsubscribe?.());
    sock.on('error', () => unsubscribe?.());
  });
  await new Promise<void>((res, rej) => server.once('error', rej).listen(path, () => res()));
  server.unref();
  return {
    path,
    close: () =>
      new Promise<void>((res) => {
        server.close(() => res());
        rmSync(path, { force: true });
      }),
  };
}

/** Sockets of running systems (stale ones, whose process is gone, are removed). */
export function findSockets(name?: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(controlDir());
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const m = /^(.+)\.(\d+)\.sock$/.exec(e);
    if (!m || (name && m[1] !== name)) continue;
    const pid = Number(m[2]);
    try {
      process.kill(pid, 0);
      out.push(join(controlDir(), e));
    } catch {
      rmSync(join(controlDir(), e), { force: true });
    }
  }
  return out;
}

/**
 * Calls `onObject` with each newline-delimited JSON object read from `sock` until it returns
 * false (a line that is not JSON is skipped: the next snapshot or event carries the state on).
 */
export function readJsonLines(sock: net.Socket, onObject: (o: any) => boolean | void): void {
  sock.setEncoding('utf8');
  let buf = '';
  let done = false;
  sock.on('data', (chunk: string) => {
    if (done) return;
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        continue;
      }
      if (onObject(o) === false) {
        done = true;
        return;
      }
    }
  });
}

/** Connects and sends one request; calls `onReply` for each reply line until it returns false. */
export function request(path: string, op: string, onReply: (reply: any) => boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    const timer = op === 'snapshot' ? setTimeout(() => (sock.destroy(), reject(new Error(`no answer from ${path} in ${timeoutMs} ms`))), timeoutMs) : null;
    sock.on('connect', () => sock.write(`${JSON.stringify({ op })}\n`));
    readJsonLines(sock, (reply) => {
      if (onReply(reply)) return true;
      if (timer) clearTimeout(timer);
      sock.end();
      resolve();
      return false;
    });
    sock.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot reach the system at ${path}: ${err.message}`));
    });
    sock.on('close', () => {
      if (timer) clearTimeout(timer);
      resolve();
    });
  });
}
