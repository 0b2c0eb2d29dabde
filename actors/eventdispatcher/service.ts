// A local service (the communicatord client of eventdispatcher.md §7.1): an actor with a
// dispatcher (the built-ins plus the user's matches) on a permanent stream connection to the
// router, TCP or Unix, with the communicatord client's pause list 1,1,1,3,5,10,20,30,60. It sends
// REGISTER when connected, answers HELP with its COMMANDS list, and stops on STOP.
//
//   export const Example = defineService<{ greeting: string }>(import.meta.url, 'Example', (svc, props) => {
//     svc.dispatcher.addMatch({ expr: 'HELLO', callback: (m) => svc.log.info(props.greeting) });
//   });
//
// Messages are dispatched inside the actor's turn: a callback that throws crashes the actor and
// its supervisor restarts it (the router sees the service go down and come back).

import net from 'node:net';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { defineActor, type ActorDef, type DefOptions, type Logger } from '../../runtime/index.ts';
import { addCommunicatorCommands, registerMessage, unregisterMessage } from './builtins.ts';
import { realClock } from './clock.ts';
import { Dispatcher, PRIORITY } from './dispatcher.ts';
import { MessageStream } from './message-stream.ts';
import { PermanentConnection, type Messenger } from './permanent.ts';
import { makePolicy, type PolicyConfig } from './reconnect.ts';
import { ROUTER_SERVICE } from './router.ts';
import type { MessageFields } from '../../protocols/eventdispatcher/index.ts';

export const CLIENT_PAUSES = '1,1,1,3,5,10,20,30,60';
export const DEFAULT_ROUTER_URL = 'cd://127.0.0.1:4040';

export type RouterAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** `cd://host:port` (plain TCP) or `cd:///path/to.sock` (Unix); `cds:` and `cdu:` are not served here. */
export function parseRouterUrl(url: string): RouterAddress {
  const m = /^cd:\/\/(.*)$/.exec(url);
  if (m === null) throw new Error(`router address "${url}" is not supported: expected cd://host:port or cd:///socket/path`);
  const rest = m[1];
  if (rest.startsWith('/')) return { kind: 'unix', path: rest };
  const hp = /^(\[[^\]]+\]|[^:]+)(?::([0-9]+))?$/.exec(rest);
  if (hp === null) throw new Error(`router address "${url}" is not valid`);
  const port = hp[2] === undefined ? 4040 : Number(hp[2]);
  if (!(port > 0 && port < 65536)) throw new Error(`router address "${url}": port ${hp[2]} is not valid`);
  return { kind: 'tcp', host: hp[1].replace(/^\[|\]$/g, ''), port };
}

export interface ServiceApi {
  readonly name: string;
  readonly dispatcher: Dispatcher;
  readonly log: Logger;
  /** To the router (and through it to other services); `cache` keeps it while disconnected. */
  send(msg: Message, cache?: boolean): boolean;
  isConnected(): boolean;
  isReady(): boolean;
  /** Called on each STATUS the router sends (a service went up or down). */
  onStatus?: (service: string, status: string) => void;
}

export interface ServiceProps<P> {
  /** The service name it registers under. */
  service: string;
  /** Router URL (default cd://127.0.0.1:4040). */
  router?: string;
  /** Reconnect policy (default the communicatord client's list). */
  pauses?: PolicyConfig;
  props: P;
}

type ServiceMsg = { t: 'msg'; fields: MessageFields } | { t: 'dropped' } | { t: 'info' };

export function defineService<P = void>(
  module: string,
  name: string,
  setup: (svc: ServiceApi, props: P) => void,
  options: DefOptions = {},
): ActorDef<ServiceMsg, ServiceProps<P>> {
  return defineActor<ServiceMsg, ServiceProps<P>>(module, name, (props, ctx) => {
    const address = parseRouterUrl(props.router ?? DEFAULT_ROUTER_URL);
    let stream: MessageStream | null = null;
    let stopping = false;
    const dispatcher = new Dispatcher({ log: ctx.log });
    const perm: PermanentConnection = new PermanentConnection({
      clock: realClock,
      policy: makePolicy(props.pauses ?? CLIENT_PAUSES),
      log: ctx.log,
      attempt: (done) => {
        const socket = address.kind === 'tcp' ? net.connect({ host: address.host, port: address.port, noDelay: true }) : net.connect(address.path);
        const fail = (err: Error): void => done(err);
        socket.once('error', fail);
        socket.once('connect', () => {
          socket.off('error', fail);
          const s = new MessageStream(socket, {
            log: ctx.log,
            label: `router ${props.router ?? DEFAULT_ROUTER_URL}`,
            message: (m) => void ctx.self.tell({ t: 'msg', fields: m.toFields(false) }),
            closed: () => {
              if (stream === s) ctx.self.tell({ t: 'dropped' });
            },
          });
          stream = s;
          const messenger: Messenger = { send: (m) => s.send(m), close: () => s.markDone() };
          done(messenger);
        });
      },
      connected: (m) => {
        m.send(registerMessage(props.service));
        ctx.log.info('connected to the router; registering', { service: props.service });
      },
      connectionFailed: (err) => ctx.log.debug('router connection failed', { error: err.message }),
    });
    const send = (msg: Message, cache = false): boolean => {
      // The client library fills an empty sentFromService with its own name.
      if (msg.sentFromService === '') {
        msg = msg.clone();
        msg.setSentFromService(props.service);
      }
      return perm.send(msg, cache);
    };
    const state = addCommunicatorCommands(dispatcher, {
      send,
      stop: (quitting) => {
        if (stopping) return;
        stopping = true;
        ctx.log.info(quitting ? 'QUITTING: the system goes down' : 'STOP: this service stops', { service: props.service });
        if (!quitting) perm.send(unregisterMessage(props.service));
        perm.markDone();
        ctx.stop();
      },
      ready: (m) => ctx.log.info('registered with the router', { service: props.service, router: m.sentFromServer }),
    });
    // The communicatord client understands STATUS (at system priority): the router tells it when
    // services go up and down.
    dispatcher.addMatch({
      expr: 'STATUS',
      priority: PRIORITY.SYSTEM,
      callback: (m) => {
        const service = m.hasParameter('service') ? m.getParameter('service') : '';
        const status = m.hasParameter('status') ? m.getParameter('status') : '';
        ctx.log.debug('service status', { service, status });
        api.onStatus?.(service, status);
      },
    });
    const api: ServiceApi = {
      name: props.service,
      dispatcher,
      log: ctx.log,
      send,
      isConnected: () => perm.isConnected(),
      isReady: () => state.ready,
    };
    setup(api, props.props);
    return {
      started() {
        perm.start();
      },
      receive(msg) {
        if (msg.t === 'msg') {
          const m = Message.fromFields(msg.fields, false);
          dispatcher.dispatch(m);
        } else if (msg.t === 'dropped') {
          stream = null;
          state.ready = false;
          perm.messengerDropped();
        } else ctx.reply({ connected: perm.isConnected(), ready: state.ready, state: perm.state, attempts: perm.attemptCount });
      },
      stopped() {
        perm.stop();
        stream?.conn.close(500);
      },
      inspect: () => ({ service: props.service, router: props.router ?? DEFAULT_ROUTER_URL, state: perm.state, ready: state.ready }),
    };
  }, options);
}

/** The router's own service name, for services that address it. */
export { ROUTER_SERVICE };
