// The router actor: the local endpoints of eventdispatcher.md §7.1 (TCP 127.0.0.1:4040, UDP
// 127.0.0.1:4041 with an optional signal secret, a Unix stream socket), one StreamLink actor per
// accepted connection and a DatagramMessageServer child, all feeding the pure Router (router.ts).

import net from 'node:net';
import type { Message } from '../../protocols/eventdispatcher/index.ts';
import { defineActor, type ActorRef, type Reply } from '../../runtime/index.ts';
import { giveHandle, listen, type Listener } from '../../runtime/io/index.ts';
import { messageFrom, StreamLink, DatagramMessageServer, type LinkCommand, type LinkReport } from './links.ts';
import { Router, type RouterConnection } from './router.ts';
import { realClock } from './clock.ts';

export interface RouterProps {
  serverName: string;
  tcp?: { host: string; port: number } | null;
  udp?: { host: string; port: number; secret?: string } | null;
  unix?: { path: string } | null;
  knownServices?: string[];
  /** Longest line accepted on a stream (default 1 MiB). */
  maxLine?: number;
  /** Debug mode: an incomplete COMMANDS list closes that connection (§7.2). */
  debug?: boolean;
  /** On STOP/SHUTDOWN, how long the stream connections get to flush DISCONNECTING and close (default 2000 ms). */
  stopFlushMs?: number;
}

export interface RouterInfo {
  tcp: string | null;
  udp: string | null;
  unix: string | null;
  services: { name: string; status: string }[];
  connections: number;
  cached: number;
}

export type RouterMsg =
  | LinkReport
  | { t: 'accepted'; token: string; kind: 'tcp' | 'unix'; address: string }
  | { t: 'await-ready' }
  | { t: 'info' }
  /** The runtime is stopping (SIGINT/SIGTERM): stop(false) as upstream does on SIGINT. */
  | { t: 'shutdown' }
  /** Periodic: drop expired cached messages. */
  | { t: 'purge' }
  /** The stop flush deadline passed: stop even if some connections have not closed. */
  | { t: 'flush-deadline' };

/** Fails when a live process answers on `path`; a file left by a dead one is removed at bind. */
async function checkUnixPath(path: string): Promise<void> {
  const live = await new Promise<boolean>((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
  if (live) throw new Error(`unix socket ${path} is in use by a running process`);
}

export const RouterActor = defineActor<RouterMsg, RouterProps>(import.meta.url, 'RouterActor', (props, ctx) => {
  const listeners: Listener[] = [];
  const conns = new Map<string, RouterConnection>();
  const waiting: Reply[] = [];
  let udpAddress: string | null = null;
  let tcpAddress: string | null = null;
  let ids = 0;
  let stopped = false;
  let startError: string | null = null;
  /** Replies to `shutdown` asks, answered once the connections are flushed and closed. */
  const flushWaiters: Reply[] = [];
  const streams = (): number => [...conns.values()].filter((c) => c.kind !== 'udp').length;
  /** Stops the actor once every stream link closed (DISCONNECTING written) or at the deadline. */
  const finishStop = (why: 'flushed' | 'deadline'): void => {
    if (!stopped) return;
    ctx.timers.cancel('flush-deadline');
    if (why === 'deadline') ctx.log.warn('router stop: connections not closed by the flush deadline', { open: streams() });
    for (const r of flushWaiters.splice(0)) r.resolve(true);
    ctx.stop();
  };
  const router = new Router({
    serverName: props.serverName,
    log: ctx.log,
    nowUs: realClock.nowUs,
    knownServices: props.knownServices,
    debug: props.debug,
    myAddress: props.tcp ? `${props.tcp.host}:${props.tcp.port}` : props.unix?.path ?? '',
    onStop: () => {
      // The router already wrote DISCONNECTING and marked every stream done (close after flush):
      // stopping now would stop the links before their output leaves, so wait for them.
      stopped = true;
      for (const l of listeners) l.stop();
      if (streams() === 0) return finishStop('flushed');
      ctx.timers.once('flush-deadline', props.stopFlushMs ?? 2000, { t: 'flush-deadline' });
    },
  });
  const ready = (): boolean => (props.udp ? udpAddress !== null : true);
  const info = (): RouterInfo => ({
    tcp: tcpAddress,
    udp: udpAddress,
    unix: props.unix?.path ?? null,
    services: [...router.services.values()].map((s) => ({ name: s.name, status: s.status })),
    connections: conns.size,
    cached: router.cache.size(),
  });
  const attach = (id: string, kind: RouterConnection['kind'], address: string, link: ActorRef<LinkCommand> | null): void => {
    const c: RouterConnection = {
      id,
      kind,
      address,
      send: (m: Message) => (link === null ? false : link.tell({ t: 'ed-send', line: m.toMessage() })),
      close: () => void link?.tell({ t: 'ed-done' }),
    };
    conns.set(id, c);
    router.attach(c);
  };
  const open = async (): Promise<void> => {
    if (props.tcp) {
      const l = await listen({
        target: { kind: 'tcp', host: props.tcp.host, port: props.tcp.port },
        onConnection: (socket, peer) => void ctx.self.tell({ t: 'accepted', token: giveHandle(socket), kind: 'tcp', address: `${peer.address}:${peer.port}` }),
        onError: (err) => ctx.log.error('tcp listener error', { error: err.message }),
      });
      listeners.push(l);
      tcpAddress = l.address;
      router.myAddress = l.address;
    }
    if (props.unix) {
      await checkUnixPath(props.unix.path);
      const path = props.unix.path;
      const l = await listen({
        target: { kind: 'unix', path, unlinkStale: true },
        onConnection: (socket) => void ctx.self.tell({ t: 'accepted', token: giveHandle(socket), kind: 'unix', address: path }),
        onError: (err) => ctx.log.error('unix listener error', { error: err.message }),
      });
      listeners.push(l);
    }
    if (props.udp) {
      ctx.spawn(DatagramMessageServer, { name: 'udp', props: { id: 'udp', target: { kind: 'udp', host: props.udp.host, port: props.udp.port }, secretCode: props.udp.secret ?? '' } });
      attach('udp', 'udp', `${props.udp.host}:${props.udp.port}`, null);
    }
    ctx.log.info('router listening', { server: props.serverName, tcp: tcpAddress, udp: props.udp ? `${props.udp.host}:${props.udp.port}` : null, unix: props.unix?.path ?? null });
  };
  return {
    async started() {
      ctx.timers.every('purge', 10_000, { t: 'purge' });
      try {
        await open();
      } catch (err) {
        // A bind failure is a start failure, not a crash to restart: the section reports it.
        startError = (err as Error).message;
        for (const l of listeners) l.stop();
        ctx.log.error('router cannot start', { error: startError });
      }
    },
    receive(msg) {
      if (startError !== null) {
        if (msg.t === 'await-ready' || msg.t === 'info') ctx.replyError(new Error(startError));
        return;
      }
      switch (msg.t) {
        case 'accepted': {
          if (stopped) return;
          const id = `c${++ids}`;
          const link = ctx.spawn(StreamLink, {
            name: id,
            props: { token: msg.token, id, label: `${msg.kind} ${msg.address}`, maxLine: props.maxLine },
            restart: 'temporary',
            quiet: true,
            priority: 100,
          });
          attach(id, msg.kind, msg.address, link);
          return;
        }
        case 'ed-msg': {
          const c = conns.get(msg.id);
          if (c !== undefined) router.receive(c, messageFrom(msg.fields));
          return;
        }
        case 'ed-closed':
          conns.delete(msg.id);
          router.detach(msg.id);
          if (stopped && streams() === 0) finishStop('flushed');
          return;
        case 'flush-deadline':
          return finishStop('deadline');
        case 'ed-bound':
          udpAddress = msg.address;
          for (const r of waiting.splice(0)) r.resolve(info());
          return;
        case 'ed-failed':
          startError = msg.error;
          ctx.log.error('router cannot start', { error: msg.error });
          for (const l of listeners) l.stop();
          for (const r of waiting.splice(0)) r.reject(new Error(msg.error));
          return;
        case 'ed-signal':
          return;
        case 'await-ready': {
          if (ready()) return ctx.reply(info());
          const r = ctx.deferReply();
          if (r) waiting.push(r);
          return;
        }
        case 'info':
          return ctx.reply(info());
        case 'purge':
          router.cache.purge(realClock.nowUs());
          return;
        case 'shutdown': {
          // Answered once the DISCONNECTING messages are out (or at the flush deadline).
          const r = ctx.deferReply();
          if (r) flushWaiters.push(r);
          if (!router.shuttingDown) router.stop(false);
          else if (stopped && streams() === 0) finishStop('flushed');
          return;
        }
      }
    },
    stopped() {
      for (const l of listeners) l.stop();
      for (const r of flushWaiters.splice(0)) r.resolve(true);
    },
    inspect: () => info(),
  };
});
