// UDP sending and the logrotate messenger (eventdispatcher.md §5).
//   sendUdpMessage(to, msg, secret)  the static send: one datagram, broadcast permission for
//                                    broadcast and multicast destinations, false on a short send
//   LogrotateMessenger (actor)       a UDP message connection with the built-ins: LOG_ROTATE
//                                    reopens the logs, STOP stops it (--logrotate-listen/-secret)

import dgram from 'node:dgram';
import net from 'node:net';
import type { Message } from '../../protocols/eventdispatcher/index.ts';
import { defineActor } from '../../runtime/index.ts';
import { configureMulticastSend, isMulticast, type MulticastSendOptions } from '../../runtime/io/multicast.ts';
import { addCommunicatorCommands } from './builtins.ts';
import { encodeDatagram } from './datagram.ts';
import { Dispatcher } from './dispatcher.ts';
import { DatagramMessageServer, messageFrom, type LinkReport } from './links.ts';

/** IPv4 limited or directed broadcast (x.x.x.255) or a multicast group (224/4, ff00::/8). */
export function needsBroadcast(host: string): boolean {
  if (net.isIPv4(host)) {
    const first = Number(host.split('.')[0]);
    return host.endsWith('.255') || (first >= 224 && first <= 239);
  }
  return net.isIPv6(host) && host.toLowerCase().startsWith('ff');
}

/**
 * Sends one datagram; throws InvalidMessageError over 1024 bytes; false on a short or failed send.
 * A multicast destination goes out on `multicast.interface` (default: the kernel's choice) with
 * `multicast.ttl` hops (default 1) and is looped back to receivers on this host.
 */
export async function sendUdpMessage(to: { host: string; port: number }, msg: Message, secretCode = '', multicast: MulticastSendOptions = {}): Promise<boolean> {
  const bytes = encodeDatagram(msg, secretCode);
  const sock = dgram.createSocket(net.isIPv6(to.host) ? 'udp6' : 'udp4');
  try {
    if (needsBroadcast(to.host)) {
      await new Promise<void>((r) => sock.bind(0, () => r()));
      sock.setBroadcast(true);
      if (isMulticast(to.host)) configureMulticastSend(sock, multicast);
    }
    return await new Promise<boolean>((resolve) => sock.send(bytes, to.port, to.host, (err, n) => resolve(!err && n === bytes.length)));
  } finally {
    sock.close();
  }
}

export interface LogrotateProps {
  host: string;
  port: number;
  secret?: string;
}

export const LogrotateMessenger = defineActor<LinkReport, LogrotateProps>(import.meta.url, 'LogrotateMessenger', (props, ctx) => {
  const d = new Dispatcher({ log: ctx.log });
  addCommunicatorCommands(d, {
    // A UDP message connection has no way back to the sender.
    send: () => false,
    stop: () => ctx.stop(),
  });
  return {
    started() {
      ctx.spawn(DatagramMessageServer, { name: 'udp', props: { id: 'udp', target: { kind: 'udp', host: props.host, port: props.port }, secretCode: props.secret ?? '' } });
    },
    receive(msg) {
      if (msg.t === 'ed-msg') d.dispatch(messageFrom(msg.fields));
      else if (msg.t === 'ed-bound') ctx.log.info('logrotate messenger listening', { address: msg.address });
    },
  };
});
