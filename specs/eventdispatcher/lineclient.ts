// A raw line client for the integration tests: real sockets, lines collected as they arrive.

import net from 'node:net';
import dgram from 'node:dgram';
import { waitFor } from './helpers.ts';

export interface LineClient {
  socket: net.Socket;
  lines: string[];
  closed: boolean;
  send(line: string): void;
  /** Waits for a line matching `re` at or after index `from`; returns it. */
  waitLine(re: RegExp, from?: number, timeoutMs?: number): Promise<string>;
  close(): void;
}

export async function lineClient(to: { port: number; host?: string } | { path: string }): Promise<LineClient> {
  const socket = 'path' in to ? net.connect(to.path) : net.connect(to.port, to.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const c: LineClient = {
    socket,
    lines: [],
    closed: false,
    send: (line) => void socket.write(line.endsWith('\n') ? line : `${line}\n`),
    waitLine: (re, from = 0, timeoutMs = 8000) => waitFor(() => c.lines.slice(from).find((l) => re.test(l)), `a line matching ${re}`, timeoutMs),
    close: () => socket.destroy(),
  };
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      c.lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => (c.closed = true));
  return c;
}

export async function sendDatagram(port: number, data: string | Buffer): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => s.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  s.close();
}
