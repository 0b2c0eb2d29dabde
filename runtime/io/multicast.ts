// UDP multicast endpoints: a receiver bound to a group's port that joins the group, and the
// sender options for a multicast destination. Same DatagramEndpoint interface as datagram.ts.
// The group is the bind address, so only datagrams sent to that group reach the socket (Linux);
// `reuseAddr` lets several receivers on one host share the group and port.

import dgram from 'node:dgram';
import net from 'node:net';
import { BindError } from './listener.ts';
import { bindUdpEndpoint, type DatagramEndpoint, type DatagramHandlers } from './datagram.ts';

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
  return bindUdpEndpoint(sock, target.group, target.port, `multicast endpoint ${where}`, where, handlers, {
    joined() {
      try {
        sock.addMembership(target.group, target.interface);
        configureMulticastSend(sock, { interface: target.interface });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        e.message = `cannot join multicast group ${target.group}${target.interface ? ` on ${target.interface}` : ''}: ${e.message}`;
        throw e;
      }
    },
    leaving() {
      try {
        sock.dropMembership(target.group, target.interface);
      } catch {
        // Already dropped with the socket: nothing to undo.
      }
    },
  });
}
