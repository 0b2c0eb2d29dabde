// Unix datagram sockets (AF_UNIX, SOCK_DGRAM) behind runtime/io's DatagramEndpoint interface.
// Node has none, so this uses node-unix-socket (prebuilt N-API binaries, installed by `npm ci`
// with no compiler), loaded only when a Unix datagram endpoint is opened. Importing this module
// registers the `unix` datagram kind; a socket file left by a dead process is replaced at bind,
// and the file is removed on close.

import { lstatSync, unlinkSync } from 'node:fs';
import { BindError } from './listener.ts';
import { registerDatagramKind, type DatagramEndpoint, type DatagramHandlers, type DatagramTarget } from './datagram.ts';

type DgramSocketCtor = new () => {
  bind(path: string): void;
  sendTo(buf: Buffer, offset: number, length: number, dest: string, cb?: (err?: Error) => void): void;
  on(event: 'data', fn: (buf: Buffer, from: string) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  close(): void;
};

let ctor: Promise<DgramSocketCtor> | null = null;

/** The native socket class, imported on first use. */
export function unixDgramSocket(): Promise<DgramSocketCtor> {
  ctor ??= import('node-unix-socket').then((m) => (m as unknown as { DgramSocket: DgramSocketCtor }).DgramSocket);
  return ctor;
}

function removeStale(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    /* absent */
  }
}

async function openUnix(target: DatagramTarget, handlers: DatagramHandlers): Promise<DatagramEndpoint> {
  if (target.kind !== 'unix') throw new Error('openUnix: not a unix target');
  const Socket = await unixDgramSocket();
  const sock = new Socket();
  removeStale(target.path);
  try {
    sock.bind(target.path);
  } catch (err) {
    sock.close();
    const e = err as NodeJS.ErrnoException;
    throw new BindError(target.path, e.code ?? 'ERROR', e.message);
  }
  sock.on('error', (err) => handlers.error?.(err));
  sock.on('data', (buf, from) => {
    try {
      handlers.message(buf, { kind: 'unix', path: from });
    } catch (err) {
      handlers.error?.(err as Error);
    }
  });
  let closed = false;
  return {
    address: { kind: 'unix', path: target.path },
    send(data, to) {
      if (to.kind !== 'unix') return Promise.reject(new Error('a unix datagram endpoint sends to unix paths only'));
      if (closed) return Promise.reject(new Error(`unix datagram endpoint ${target.path} is closed`));
      const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      return new Promise<void>((resolve, reject) => sock.sendTo(b, 0, b.length, to.path, (err) => (err ? reject(err) : resolve())));
    },
    close() {
      if (!closed) {
        closed = true;
        sock.close();
        removeStale(target.path);
      }
      return Promise.resolve();
    },
  };
}

/** Sends one datagram to `path` from an unbound socket (a client: send only). */
export async function sendUnixDatagram(path: string, data: Uint8Array): Promise<void> {
  const Socket = await unixDgramSocket();
  const sock = new Socket();
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  try {
    await new Promise<void>((resolve, reject) => sock.sendTo(b, 0, b.length, path, (err) => (err ? reject(err) : resolve())));
  } finally {
    sock.close();
  }
}

registerDatagramKind('unix', openUnix);
