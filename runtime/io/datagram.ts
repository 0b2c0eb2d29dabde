// Datagram endpoints behind one interface: UDP here; other kinds (Unix datagram sockets) register
// an opener under their `kind` and are opened the same way. Binding resolves or rejects with a
// BindError (the same outcome as a stream listener); a handler that throws affects nothing else.

import dgram from 'node:dgram';
import { BindError } from './listener.ts';

export type DatagramAddress = { kind: 'udp'; host: string; port: number } | { kind: 'unix'; path: string };

/** Where to bind. `{ kind: 'udp', port: 0 }` picks a free port. */
export type DatagramTarget =
  | { kind: 'udp'; host: string; port: number; family?: 4 | 6; reuseAddr?: boolean; recvBufferSize?: number }
  | { kind: 'unix'; path: string };

export interface DatagramHandlers {
  message(data: Buffer, from: DatagramAddress): void;
  /** An error after binding (a send failure is reported by `send` instead). */
  error?(err: Error): void;
}

export interface DatagramEndpoint {
  /** The bound address (with the real port when 0 was asked). */
  readonly address: DatagramAddress;
  /** Sends one datagram; rejects when it cannot be sent (too large, unreachable). */
  send(data: Uint8Array, to: DatagramAddress): Promise<void>;
  /** Stops receiving and releases the address. */
  close(): Promise<void>;
}

export type DatagramOpener = (target: DatagramTarget, handlers: DatagramHandlers) => Promise<DatagramEndpoint>;

const openers = new Map<DatagramTarget['kind'], DatagramOpener>([['udp', openUdp]]);

/** Adds a datagram kind (e.g. Unix datagram sockets) behind the same interface. */
export function registerDatagramKind(kind: DatagramTarget['kind'], opener: DatagramOpener): void {
  openers.set(kind, opener);
}

/** Binds a datagram endpoint of the target's kind. */
export function openDatagram(target: DatagramTarget, handlers: DatagramHandlers): Promise<DatagramEndpoint> {
  const open = openers.get(target.kind);
  if (open === undefined) return Promise.reject(new Error(`datagram endpoints of kind ${target.kind} are not available`));
  return open(target, handlers);
}

function describe(a: DatagramAddress | DatagramTarget): string {
  return a.kind === 'unix' ? a.path : `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

function openUdp(target: DatagramTarget, handlers: DatagramHandlers): Promise<DatagramEndpoint> {
  if (target.kind !== 'udp') throw new Error('openUdp: not a udp target');
  const family = target.family ?? (target.host.includes(':') ? 6 : 4);
  const sock = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: target.reuseAddr ?? false, recvBufferSize: target.recvBufferSize });
  return bindUdpEndpoint(sock, target.host, target.port, `udp endpoint ${describe(target)}`, describe(target), handlers);
}

/**
 * Binds a UDP socket and resolves with it as a DatagramEndpoint (plain UDP and multicast share
 * this). `joined` runs once bound and may throw to refuse the endpoint (a BindError naming `where`
 * with its message); `leaving` runs before the socket closes.
 */
export function bindUdpEndpoint(
  sock: dgram.Socket,
  host: string,
  port: number,
  name: string,
  where: string,
  handlers: DatagramHandlers,
  hooks: { joined?: () => void; leaving?: () => void } = {},
): Promise<DatagramEndpoint> {
  return new Promise<DatagramEndpoint>((resolve, reject) => {
    let bound = false;
    const fail = (code: string, message: string): void => {
      sock.close();
      reject(new BindError(where, code, message));
    };
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (!bound) fail(err.code ?? 'ERROR', err.message);
      else handlers.error?.(err);
    });
    sock.on('message', (data, rinfo) => {
      try {
        handlers.message(data, { kind: 'udp', host: rinfo.address, port: rinfo.port });
      } catch (err) {
        handlers.error?.(err as Error);
      }
    });
    sock.bind({ address: host, port }, () => {
      try {
        hooks.joined?.();
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return fail(e.code ?? 'ERROR', e.message);
      }
      bound = true;
      const a = sock.address();
      let closed = false;
      resolve({
        address: { kind: 'udp', host: a.address, port: a.port },
        send(data, to) {
          if (to.kind !== 'udp') return Promise.reject(new Error(`${name} sends over udp only, not to ${describe(to)}`));
          if (closed) return Promise.reject(new Error(`${name} is closed`));
          return new Promise<void>((res, rej) => sock.send(data, to.port, to.host, (err) => (err ? rej(err) : res())));
        },
        close() {
          if (closed) return Promise.resolve();
          closed = true;
          hooks.leaving?.();
          return new Promise<void>((res) => sock.close(() => res()));
        },
      });
    });
  });
}
