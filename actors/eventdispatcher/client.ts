// Stream clients (eventdispatcher.md §3.1): TCP, TLS or Unix stream.
//   openStream(target)          one connection, resolved once connected (TLS: once secure)
//   sendAndAwaitReply(...)      the "blocking" client: send one message, await the first line back
//   MessageClient (actor)       a permanent message connection (§4) with its own dispatcher and a
//                               handler module like the server's; other actors tell it
//                               { t: 'send', line, cache } to send through it

import net from 'node:net';
import tls from 'node:tls';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { defineActor, type ActorRef } from '../../runtime/index.ts';
import { addCommunicatorCommands } from './builtins.ts';
import { realClock } from './clock.ts';
import { Dispatcher } from './dispatcher.ts';
import { MessageStream } from './message-stream.ts';
import { PermanentConnection } from './permanent.ts';
import { makePolicy, type PolicyConfig } from './reconnect.ts';
import { loadSetup, type HandlerRef, type MessageConnectionApi } from './server.ts';

export type ConnectTarget =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'tls'; host: string; port: number; ca?: string; servername?: string; rejectUnauthorized?: boolean }
  | { kind: 'unix'; path: string };

export function describeConnectTarget(t: ConnectTarget): string {
  return t.kind === 'unix' ? `unix ${t.path}` : `${t.kind} ${t.host}:${t.port}`;
}

/** Connects; resolves with the socket once connected (TLS: handshake done), rejects on failure. */
export function openStream(t: ConnectTarget): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let s: net.Socket;
    let event = 'connect';
    if (t.kind === 'unix') s = net.connect(t.path);
    else if (t.kind === 'tcp') s = net.connect({ host: t.host, port: t.port, noDelay: true });
    else {
      event = 'secureConnect';
      s = tls.connect({ host: t.host, port: t.port, ca: t.ca, servername: t.servername ?? (net.isIP(t.host) ? undefined : t.host), rejectUnauthorized: t.rejectUnauthorized ?? true });
    }
    s.once('error', reject);
    s.once(event, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/** Sends `msg` and resolves with the first line received, parsed (or rejects on close/timeout). */
export async function sendAndAwaitReply(t: ConnectTarget, msg: Message, timeoutMs = 10_000): Promise<Message> {
  const s = await openStream(t);
  return new Promise<Message>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => finish(new Error(`no reply from ${describeConnectTarget(t)} within ${timeoutMs} ms`)), timeoutMs);
    const finish = (r: Message | Error): void => {
      clearTimeout(timer);
      s.destroy();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      const m = new Message();
      finish(m.fromMessage(buf.slice(0, nl)) ? m : (m.lastError ?? new Error('invalid reply')));
    });
    s.on('error', (err) => finish(err));
    s.on('close', () => finish(new Error(`${describeConnectTarget(t)} closed before replying`)));
    s.write(`${msg.toMessage()}\n`);
  });
}

export interface MessageClientProps {
  target: ConnectTarget;
  /** Pause list (default "60") or { exponential }. */
  pauses?: PolicyConfig;
  handler?: HandlerRef;
  handlerProps?: unknown;
}

export type MessageClientMsg =
  | { t: 'send'; line: string; cache?: boolean }
  | { t: 'msg'; message: Message }
  | { t: 'dropped'; stream: MessageStream }
  | { t: 'info' };

export const MessageClient = defineActor<MessageClientMsg, MessageClientProps>(import.meta.url, 'MessageClient', (props, ctx) => {
  const label = describeConnectTarget(props.target);
  const dispatcher = new Dispatcher({ log: ctx.log });
  let stream: MessageStream | null = null;
  const self = ctx.self as ActorRef<MessageClientMsg>;
  const perm = new PermanentConnection({
    clock: realClock,
    policy: makePolicy(props.pauses),
    log: ctx.log,
    attempt: (done) => {
      openStream(props.target).then(
        (socket) => {
          const s: MessageStream = new MessageStream(socket, {
            log: ctx.log,
            label,
            message: (m) => void self.tell({ t: 'msg', message: m }),
            closed: () => void self.tell({ t: 'dropped', stream: s }),
          });
          stream = s;
          done({ send: (m) => s.send(m), close: () => s.markDone() });
        },
        (err: Error) => done(err),
      );
    },
    connected: () => ctx.log.info('connected', { conn: label }),
  });
  const state = addCommunicatorCommands(dispatcher, {
    send: (m, cache) => perm.send(m, cache),
    stop: () => {
      perm.markDone();
      ctx.stop();
    },
  });
  const api: MessageConnectionApi = {
    label,
    dispatcher,
    log: ctx.log,
    state,
    send: (m) => perm.send(m),
    reply: (orig, command, params = {}) => {
      const r = Message.fromFields({ command, parameters: params }, false);
      r.replyTo(orig);
      return perm.send(r);
    },
    markDone: () => perm.markDone(),
  };
  return {
    async started() {
      if (props.handler) await (await loadSetup(props.handler))(api, props.handlerProps);
      perm.start();
    },
    receive(msg) {
      switch (msg.t) {
        case 'send': {
          const m = new Message();
          if (!m.fromMessage(msg.line)) return ctx.log.error(`cannot send an invalid message: ${m.lastError?.message}`);
          ctx.reply(perm.send(m, msg.cache ?? false));
          return;
        }
        case 'msg':
          dispatcher.dispatch(msg.message);
          return;
        case 'dropped':
          if (stream === msg.stream) {
            stream = null;
            perm.messengerDropped();
          }
          return;
        case 'info':
          ctx.reply({ connected: perm.isConnected(), state: perm.state, attempts: perm.attemptCount, cached: perm.cached });
      }
    },
    stopped() {
      perm.stop();
      stream?.conn.close(500);
    },
    inspect: () => ({ conn: label, state: perm.state, cached: perm.cached }),
  };
});
