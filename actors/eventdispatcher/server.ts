// A message server (eventdispatcher.md §3.1): a TCP, TLS or Unix stream listener actor and one
// server-side client actor per accepted connection (base -> buffered lines -> messages; never
// reconnects). Each client has its own dispatcher: the built-ins plus what the handler module
// adds. The handler is a module and an export, so any worker thread can load it:
//
//   export const setup: ConnectionSetup<{ greeting: string }> = (conn, props) => {
//     conn.dispatcher.addMatch({ expr: 'HI', callback: (m) => conn.reply(m, 'HELLO', { text: props.greeting }) });
//   };

import { pathToFileURL } from 'node:url';
import type net from 'node:net';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { defineActor, type Logger, type Reply } from '../../runtime/index.ts';
import { giveHandle, listen, takeHandle, type Listener, type ListenTarget } from '../../runtime/io/index.ts';
import { addCommunicatorCommands, type BuiltinState } from './builtins.ts';
import { Dispatcher } from './dispatcher.ts';
import { checkConnectionPriority, MessageStream } from './message-stream.ts';

export interface MessageConnectionApi {
  readonly label: string;
  readonly dispatcher: Dispatcher;
  readonly log: Logger;
  readonly state: BuiltinState;
  send(msg: Message): boolean;
  /** A reply to `orig` (server/service from its sent-from) with a command and parameters. */
  reply(orig: Message, command: string, params?: Record<string, string>): boolean;
  /** Close once the pending output is flushed. */
  markDone(): void;
}

export type ConnectionSetup<P = unknown> = (conn: MessageConnectionApi, props: P) => void | Promise<void>;

/** A module (URL or absolute path) and the name of its ConnectionSetup export. */
export interface HandlerRef {
  module: string;
  export: string;
}

export interface MessageServerProps {
  target: ListenTarget;
  /** Default: the built-ins only (ALIVE, HELP, STOP...; anything else gets UNKNOWN). */
  handler?: HandlerRef;
  handlerProps?: unknown;
  eventLimit?: number;
  maxLine?: number;
  format?: 'string' | 'json';
  /** Priority of the accepted connections (§3.4: 0..255, lower first, default 100). */
  connectionPriority?: number;
}

type ServerMsg = { t: 'accepted'; token: string; peer: string } | { t: 'await-ready' } | { t: 'info' };

export const MessageServer = defineActor<ServerMsg, MessageServerProps>(import.meta.url, 'MessageServer', (props, ctx) => {
  let listener: Listener | null = null;
  const waiting: Reply[] = [];
  let ids = 0;
  return {
    async started() {
      checkConnectionPriority(props.connectionPriority ?? 100);
      listener = await listen({
        target: props.target,
        onConnection: (socket, peer) => void ctx.self.tell({ t: 'accepted', token: giveHandle(socket), peer: peer.address === '' ? 'unix' : `${peer.address}:${peer.port}` }),
        onError: (err) => ctx.log.error('listener error', { error: err.message }),
      });
      for (const r of waiting.splice(0)) r.resolve(listener.address);
    },
    receive(msg) {
      if (msg.t === 'accepted') {
        const id = `c${++ids}`;
        ctx.spawn(MessageServerClient, {
          name: id,
          restart: 'temporary',
          quiet: true,
          // The kernel runs its mail in the same order as its reads (rounds): by priority.
          priority: props.connectionPriority ?? 100,
          props: { token: msg.token, label: `${props.target.kind} ${msg.peer}`, handler: props.handler, handlerProps: props.handlerProps, eventLimit: props.eventLimit, maxLine: props.maxLine, format: props.format, priority: props.connectionPriority },
        });
      } else if (msg.t === 'await-ready') {
        if (listener !== null) return ctx.reply(listener.address);
        const r = ctx.deferReply();
        if (r) waiting.push(r);
      } else ctx.reply({ address: listener?.address ?? null, connections: ctx.children().length });
    },
    stopped() {
      listener?.stop();
    },
    inspect: () => ({ address: listener?.address ?? null }),
  };
});

interface ClientProps {
  token: string;
  label: string;
  handler?: HandlerRef;
  handlerProps?: unknown;
  eventLimit?: number;
  maxLine?: number;
  format?: 'string' | 'json';
  priority?: number;
}

const setups = new Map<string, ConnectionSetup>();

export async function loadSetup(h: HandlerRef): Promise<ConnectionSetup> {
  const url = h.module.startsWith('file:') ? h.module : pathToFileURL(h.module).href;
  const key = `${url}#${h.export}`;
  let fn = setups.get(key);
  if (fn === undefined) {
    const mod = (await import(url)) as Record<string, unknown>;
    if (typeof mod[h.export] !== 'function') throw new Error(`${url} has no function export "${h.export}"`);
    fn = mod[h.export] as ConnectionSetup;
    setups.set(key, fn);
  }
  return fn;
}

export const MessageServerClient = defineActor<never, ClientProps>(import.meta.url, 'MessageServerClient', (props, ctx) => {
  let stream: MessageStream | null = null;
  return {
    async started() {
      const socket = takeHandle<net.Socket>(props.token);
      if (socket === undefined) return ctx.stop();
      const dispatcher = new Dispatcher({ log: ctx.log });
      const s = new MessageStream(socket, {
        log: ctx.log,
        label: props.label,
        eventLimit: props.eventLimit,
        maxLine: props.maxLine,
        format: props.format,
        priority: props.priority,
        message: (m) => {
          m.origin = ctx.self;
          dispatcher.dispatch(m);
        },
        closed: () => ctx.stop(),
      });
      // Hold reading until the handler is set up, so no message meets an empty dispatcher.
      s.conn.hold('setup');
      stream = s;
      const state = addCommunicatorCommands(dispatcher, {
        send: (m) => s.send(m),
        stop: () => {
          s.markDone();
        },
      });
      const api: MessageConnectionApi = {
        label: props.label,
        dispatcher,
        log: ctx.log,
        state,
        send: (m) => s.send(m),
        reply: (orig, command, params = {}) => {
          const r = Message.fromFields({ command, parameters: params }, false);
          r.replyTo(orig);
          return s.send(r);
        },
        markDone: () => s.markDone(),
      };
      if (props.handler) await (await loadSetup(props.handler))(api, props.handlerProps);
      s.conn.release('setup');
    },
    receive() {},
    stopped() {
      if (stream !== null && !stream.closed) stream.conn.close(500);
    },
    inspect: () => ({ conn: props.label, received: stream?.received ?? 0, rejected: stream?.rejected ?? 0 }),
  };
});
