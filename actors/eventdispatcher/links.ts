// Connection actors that belong to an owner (the router, a server): each reports what it reads
// to its parent and writes what its parent tells it. One actor per connection, on the owner's
// thread (sockets cannot cross threads; runtime/io hands them over by token).
//   StreamLink        a server-side client (TCP, TLS or Unix stream): never reconnects
//   DatagramMessageServer  a UDP or Unix datagram message server connection (§5): secret codes
//   SignalConnection  one Unix signal, relayed from the main thread's signal owner

import type net from 'node:net';
import { Message, type MessageFields } from '../../protocols/eventdispatcher/index.ts';
import { defineActor, type ActorRef } from '../../runtime/index.ts';
import { deliverSignals, openDatagram, takeHandle, type DatagramEndpoint } from '../../runtime/io/index.ts';
import { DatagramIntake, UDP_MAX, UNIX_DATAGRAM_MAX } from './datagram.ts';
import { MessageStream } from './message-stream.ts';

/** What a connection actor tells its owner. */
export type LinkReport =
  | { t: 'ed-msg'; id: string; fields: MessageFields }
  | { t: 'ed-closed'; id: string }
  | { t: 'ed-bound'; id: string; address: string }
  /** The connection could not open (a bind failure): the owner reports it; no restart loop. */
  | { t: 'ed-failed'; id: string; error: string }
  | { t: 'ed-signal'; id: string; signal: string };

/** What an owner tells a connection actor. */
export type LinkCommand = { t: 'ed-send'; line: string } | { t: 'ed-done' };

export interface StreamLinkProps {
  token: string;
  id: string;
  label: string;
  eventLimit?: number;
  maxLine?: number;
  /** §3.4 connection priority (0..255, lower first, default 100); spawn the link with the same kernel priority. */
  priority?: number;
}

export const StreamLink = defineActor<LinkCommand, StreamLinkProps>(import.meta.url, 'StreamLink', (props, ctx) => {
  let ms: MessageStream | null = null;
  const parent = ctx.parent as ActorRef<LinkReport>;
  return {
    started() {
      const socket = takeHandle<net.Socket>(props.token);
      if (socket === undefined) {
        ctx.log.warn('connection handle expired before it was taken', { conn: props.label });
        parent.tell({ t: 'ed-closed', id: props.id });
        return ctx.stop();
      }
      ms = new MessageStream(socket, {
        log: ctx.log,
        label: props.label,
        eventLimit: props.eventLimit,
        maxLine: props.maxLine,
        priority: props.priority,
        message: (m) => parent.tell({ t: 'ed-msg', id: props.id, fields: m.toFields(false) }),
        closed: () => {
          parent.tell({ t: 'ed-closed', id: props.id });
          ctx.stop();
        },
      });
    },
    receive(msg) {
      if (ms === null) return;
      if (msg.t === 'ed-send') ms.sendLine(msg.line);
      else ms.markDone();
    },
    stopped() {
      if (ms !== null && !ms.closed) ms.conn.close(500);
    },
    inspect: () => ({ conn: props.label, received: ms?.received ?? 0, rejected: ms?.rejected ?? 0 }),
  };
});

export interface DatagramServerProps {
  id: string;
  /**
   * UDP (1024-byte messages) or a Unix datagram socket (64 KiB). A UDP host that is a multicast
   * group (224.0.0.0/4, ff00::/8) is joined, on `multicastInterface` (e.g. 127.0.0.1) when given.
   */
  target: { kind: 'udp'; host: string; port: number; multicastInterface?: string } | { kind: 'unix'; path: string };
  /** Expected secret_code; '' = none. */
  secretCode?: string;
}

/** A datagram message server connection (§5): UDP or Unix datagram. */
export const DatagramMessageServer = defineActor<{ t: 'round' }, DatagramServerProps>(import.meta.url, 'DatagramMessageServer', (props, ctx) => {
  let ep: DatagramEndpoint | null = null;
  let scheduled = false;
  const parent = ctx.parent as ActorRef<LinkReport>;
  const t = props.target;
  const label = t.kind === 'udp' ? `udp ${t.host}:${t.port}` : `unix-dgram ${t.path}`;
  const intake = new DatagramIntake({
    log: ctx.log,
    label,
    secretCode: props.secretCode,
    max: t.kind === 'udp' ? UDP_MAX : UNIX_DATAGRAM_MAX,
    message: (m) => parent.tell({ t: 'ed-msg', id: props.id, fields: m.toFields(false) }),
  });
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    ctx.self.tell({ t: 'round' });
  };
  return {
    async started() {
      if (t.kind === 'unix') await import('../../runtime/io/unix-datagram.ts');
      const handlers = {
        message: (data: Buffer) => {
          intake.push(data);
          schedule();
        },
        error: (err: Error) => ctx.log.warn('datagram socket error', { conn: label, error: err.message }),
      };
      try {
        const mc = t.kind === 'udp' ? await import('../../runtime/io/multicast.ts') : null;
        if (t.kind === 'udp' && mc !== null && mc.isMulticast(t.host)) {
          ep = await mc.openMulticast({ group: t.host, port: t.port, interface: t.multicastInterface }, handlers);
        } else ep = await openDatagram(t.kind === 'udp' ? { kind: 'udp', host: t.host, port: t.port } : t, handlers);
      } catch (err) {
        parent.tell({ t: 'ed-failed', id: props.id, error: (err as Error).message });
        return ctx.stop();
      }
      const a = ep.address;
      parent.tell({ t: 'ed-bound', id: props.id, address: a.kind === 'udp' ? `${a.host}:${a.port}` : a.path });
    },
    receive() {
      scheduled = false;
      intake.round();
      // A secret-code failure ends the round: the rest is read in the next one.
      if (intake.queued > 0) schedule();
    },
    stopped() {
      void ep?.close();
    },
    inspect: () => ({ conn: label, queued: intake.queued, dropped: intake.dropped }),
  };
});

export interface SignalProps {
  id: string;
  signal: NodeJS.Signals;
}

/** One connection per signal; place it on the main thread (workers receive no signals). */
export const SignalConnection = defineActor<{ t: 'sig'; signal: string }, SignalProps>(import.meta.url, 'SignalConnection', (props, ctx) => {
  let off: (() => void) | null = null;
  const parent = ctx.parent as ActorRef<LinkReport>;
  return {
    started() {
      if (ctx.thread !== -1) ctx.log.warn('a signal connection off the main thread receives nothing', { signal: props.signal });
      off = deliverSignals(ctx.self, props.signal, (signal) => ({ t: 'sig' as const, signal }));
    },
    receive(msg) {
      parent.tell({ t: 'ed-signal', id: props.id, signal: msg.signal });
    },
    stopped() {
      off?.();
    },
  };
});

/** Rebuilds a message from the fields a link reported (no name validation: compat names pass). */
export function messageFrom(fields: MessageFields): Message {
  return Message.fromFields(fields, false);
}
