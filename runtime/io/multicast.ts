// UDP multicast endpoints: a receiver bound to a group's port that joins the group, and the
// sender options for a multicast destination. Same DatagramEndpoint interface as datagram.ts.
// The group is the bind address, so only datagrams sent to that group reach the socket (Linux);
// `reuseAddr` lets several receivers on one host share the group and port.

import dgram from 'node:dgram';
import net from 'node:net';
import { BindError } from './listener.ts';
import type { DatagramEndpoint, DatagramHandlers } from './datagram.ts';

/** 224.0.0.0/4 or ff00::/8. */
export function isMulticast(host: string): boolean {
  if (net.isIPv4(host)) {
    const first = Number(host.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return net.isIPv6(host) && host.toLowerCase().startsWith('ff');
}

export interface MulticastTarget {
  /** The group address (224.0.0.0/4 or ff00::/8). */
  group: string;
  port: number;
  /** The local interface address to join on (e.g. 127.0.0.1); default: the kernel's choice. */
  interface?: string;
}

/** Sender options for a multicast destination. */
export interface MulticastSendOptions {
  /** The outgoing interface address (e.g. 127.0.0.1); default: the kernel's choice. */
  interface?: string;
  /** Hops (default 1; 0 keeps datagrams on this host). */
  ttl?: number;
  /** Deliver to receivers on this host too (default true). */
  loopback?: boolean;
}

/** Applies the multicast send options to a bound socket. */
export function configureMulticastSend(sock: dgram.Socket, o: MulticastSendOptions = {}): void {
  if (o.interface !== undefined) sock.setMulticastInterface(o.interface);
  sock.setMulticastTTL(o.ttl ?? 1);
  sock.setMulticastLoopback(o.loopback ?? true);
}

/** Binds to the group's port and joins it; rejects with a BindError naming the group. */
export function openMulticast(target: MulticastTarget, handlers: DatagramHandlers): Promise<DatagramEndpoint> {
  const where = `${target.group}:${target.port}`;
  if (!isMulticast(target.group)) return Promise.reject(new BindError(where, 'EINVAL', `${target.group} is not a multicast group address`));
  const v6 = net.isIPv6(target.group);
  const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true });
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
    sock.bind({ address: target.group, port: target.port }, () => {
      try {
        sock.addMembership(target.group, target.interface);
        configureMulticastSend(sock, { interface: target.interface });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return fail(e.code ?? 'ERROR', `cannot join multicast group ${target.group}${target.interface ? ` on ${target.interface}` : ''}: ${e.message}`);
      }
      bound = true;
      const a = sock.address();
      let closed = false;
      resolve({
        address: { kind: 'udp', host: a.address, port: a.port },
        send(data, to) {
          if (to.kind !== 'udp') return Promise.reject(new Error('a multicast endpoint sends over udp only'));
          if (closed) return Promise.reject(new Error(`multicast endpoint ${where} is closed`));
          return new Promise<void>((res, rej) => sock.send(data, to.port, to.host, (err) => (err ? rej(err) : res())));
        },
        close() {
          if (closed) return Promise.resolve();
          closed = true;
          try {
            sock.dropMembership(target.group, target.interface);
          } catch {
            // Already dropped with the socket: nothing to undo.
          }
          return new Promise<void>((res) => sock.close(() => res()));
        },
      });
    });
  });
}
