// The communicatord-style router on one node (eventdispatcher.md §7): registration, COMMANDS
// lists, routing to local services, the cache, broadcasts by COMMANDS list, STATUS and stop.
// Pure state: connections are objects with a `send`; the router actor (router-actor.ts) binds
// them to socket actors. A remote communicator (a ws link between runtime nodes, later) is one
// more RouterConnection with kind 'remote': forwarding already goes through `remotes()`.

import { Message } from '../../protocols/eventdispatcher/index.ts';
import type { Logger } from '../../runtime/index.ts';
import { addCommunicatorCommands } from './builtins.ts';
import { Dispatcher, PRIORITY } from './dispatcher.ts';
import { parseCacheParam, RouterCache } from './router-cache.ts';

export const ROUTER_SERVICE = 'communicatord';
/** Commands refused over UDP (§7.2). */
const STREAM_ONLY = new Set(['ACCEPT', 'CLUSTER_STATUS', 'COMMANDS', 'CONNECT', 'DISCONNECT', 'GOSSIP', 'REFUSE', 'REGISTER', 'UNREGISTER']);
const REQUIRED_COMMANDS = ['HELP', 'QUITTING', 'READY', 'STOP', 'UNKNOWN'];
const BROADCAST_TIMEOUT_US = 10_000_000;

export interface RouterConnection {
  readonly id: string;
  readonly kind: 'tcp' | 'unix' | 'udp' | 'remote';
  /** The peer's address as READY reports it (`ip:port` or a socket path). */
  readonly address: string;
  send(msg: Message): boolean;
  /** Close once the pending output is flushed. */
  close(): void;
  service?: string;
  commands?: Set<string>;
}

export interface ServiceState {
  name: string;
  status: 'up' | 'down';
  sinceUs: number;
  conn: RouterConnection | null;
}

export interface RouterOptions {
  serverName: string;
  log: Logger;
  nowUs(): number;
  /** Local services known before they register (their messages are cached until they do). */
  knownServices?: string[];
  /** The router's address reported to services in READY (my_address); set once bound. */
  myAddress: string;
  /** STOP (false) or SHUTDOWN / QUITTING (true): the actor stops the endpoints. */
  onStop(quitting: boolean): void;
  /**
   * Debug mode (§7.2): a COMMANDS list missing HELP, QUITTING, READY, STOP or UNKNOWN is fatal
   * for that connection (it is closed and its service goes down); otherwise it is an ERROR log.
   */
  debug?: boolean;
}

/** A copy with some header fields replaced, without name validation (compat names pass through). */
export function rewrite(msg: Message, patch: Partial<Pick<Message, 'sentFromServer' | 'sentFromService' | 'server' | 'service'>>): Message {
  const m = Message.fromFields({ ...msg.toFields(false), ...patch }, false);
  m.origin = msg.origin;
  return m;
}

/** A host name as a base name (`my-host.lan` -> `my_host_lan`), since names allow [A-Za-z0-9_] only. */
export function serverNameFrom(host: string): string {
  const n = host.replace(/[^A-Za-z0-9_]/g, '_');
  return n === '' || /^[0-9]/.test(n) ? `_${n}` : n;
}

export class Router {
  readonly o: RouterOptions;
  /** READY's my_address (the bound TCP address once known). */
  myAddress: string;
  readonly log: Logger;
  readonly dispatcher: Dispatcher;
  readonly cache = new RouterCache();
  readonly services = new Map<string, ServiceState>();
  readonly #conns = new Map<string, RouterConnection>();
  readonly #seenBroadcasts = new Map<string, number>();
  #origin: RouterConnection | null = null;
  shuttingDown = false;

  constructor(o: RouterOptions) {
    if (serverNameFrom(o.serverName) !== o.serverName) throw new Error(`router server name "${o.serverName}" is not a valid name (try "${serverNameFrom(o.serverName)}")`);
    this.o = o;
    this.myAddress = o.myAddress;
    this.log = o.log;
    for (const s of o.knownServices ?? []) this.services.set(s, { name: s, status: 'down', sinceUs: o.nowUs(), conn: null });
    this.dispatcher = new Dispatcher({ log: o.log });
    addCommunicatorCommands(this.dispatcher, {
      send: (m) => this.#replyToOrigin(m),
      stop: (quitting) => this.stop(quitting),
      nowUs: o.nowUs,
    });
    const add = (expr: string, cb: (m: Message, c: RouterConnection) => void): void => {
      this.dispatcher.addMatch({ expr, priority: PRIORITY.DEFAULT, callback: (m) => cb(m, this.#origin as RouterConnection) });
    };
    add('REGISTER', (m, c) => this.#register(m, c));
    add('UNREGISTER', (m, c) => this.#unregister(m, c));
    add('COMMANDS', (m, c) => this.#commands(m, c));
    add('SERVICE_STATUS', (m, c) => {
      if (!m.hasParameter('service')) return this.log.error('SERVICE_STATUS without a service parameter');
      const name = m.getParameter('service');
      const s = this.services.get(name) ?? { name, status: 'down' as const, sinceUs: 0, conn: null };
      this.#send(c, this.#status(s), m);
    });
    add('SHUTDOWN', () => this.stop(true));
    add('CLUSTER_STATUS', (m, c) => {
      // One node: the cluster is this router, up and complete.
      this.#send(c, this.#own('CLUSTER_UP', { neighbors_count: '1' }), m);
      this.#send(c, this.#own('CLUSTER_COMPLETE', { neighbors_count: '1' }), m);
    });
  }

  get connections(): RouterConnection[] {
    return [...this.#conns.values()];
  }

  /** A stream connection appeared (UDP has one connection for the whole socket). */
  attach(c: RouterConnection): void {
    this.#conns.set(c.id, c);
  }

  /** The connection is gone (hup, error, or closed by us): its service goes down. */
  detach(id: string): void {
    const c = this.#conns.get(id);
    if (c === undefined) return;
    this.#conns.delete(id);
    if (c.service !== undefined) this.#markDown(c.service, c);
  }

  /** §7.3: route one message received on `c`. */
  receive(c: RouterConnection, msg: Message): void {
    const now = this.o.nowUs();
    if (msg.hasParameter('broadcast_msgid')) {
      const id = msg.getParameter('broadcast_msgid');
      const timeout = msg.hasParameter('broadcast_timeout') ? Number(msg.getParameter('broadcast_timeout')) * 1_000_000 : Infinity;
      for (const [k, exp] of this.#seenBroadcasts) if (exp < now) this.#seenBroadcasts.delete(k);
      if (this.#seenBroadcasts.has(id) || timeout < now) return this.log.debug('broadcast already seen or expired: dropped', { id });
      this.#seenBroadcasts.set(id, now + BROADCAST_TIMEOUT_US);
    }
    if (this.shuttingDown) {
      if (c.kind === 'udp') return;
      if (msg.command !== 'UNREGISTER') {
        c.send(this.#own('QUITTING'));
        c.close();
        return this.detach(c.id);
      }
    }
    if (c.kind === 'udp' && STREAM_ONLY.has(msg.command)) {
      return this.log.error(`command "${msg.command}" is only accepted over a stream connection, not over UDP`, { from: c.address });
    }
    // Messages from a registered local service carry its identity.
    if (c.service !== undefined && c.kind !== 'remote') {
      msg = rewrite(msg, { sentFromServer: this.o.serverName, sentFromService: c.service });
    }
    const own = this.o.serverName;
    const server = msg.server === '.' ? own : msg.server;
    if ((server === '' || server === '*' || server === own) && (msg.service === '' || msg.service === ROUTER_SERVICE)) {
      this.#origin = c;
      try {
        this.dispatcher.dispatch(msg);
      } finally {
        this.#origin = null;
      }
      return;
    }
    if (server !== msg.server) msg = rewrite(msg, { server });
    if (msg.service === '*' || msg.service === '?' || msg.service === '.') return this.#broadcast(c, msg);
    this.#direct(c, msg, now);
  }

  #broadcast(from: RouterConnection, msg: Message): void {
    if (msg.server !== '' && msg.server !== '*' && msg.server !== this.o.serverName && msg.service !== '.') {
      return this.log.error(`a broadcast to service "${msg.service}" cannot name server "${msg.server}"; nothing sent`, { command: msg.command });
    }
    let n = 0;
    for (const c of this.#conns.values()) {
      if (c === from || c.kind === 'udp' || c.kind === 'remote') continue;
      if (c.commands?.has(msg.command)) if (c.send(msg)) n++;
    }
    // Remote peers (LAN for ? and *, public for *) arrive with links between runtime nodes.
    this.log.debug('broadcast delivered locally', { command: msg.command, to: n });
  }

  #direct(from: RouterConnection, msg: Message, now: number): void {
    const own = this.o.serverName;
    const local = msg.server === '' || msg.server === '*' || msg.server === '?' || msg.server === own;
    const target = local ? this.services.get(msg.service) : undefined;
    if (target?.conn) {
      if (target.conn === from) return this.log.warn('a service sent a message to itself: dropped', { service: msg.service, command: msg.command });
      target.conn.send(msg);
      return;
    }
    const cacheParam = parseCacheParam(msg, this.log);
    if (target !== undefined && !cacheParam.no) {
      this.cache.add(msg.service, msg, cacheParam.ttl, now);
      this.#report(from, msg, 'cached');
      return;
    }
    if (cacheParam.reply) {
      this.#send(from, this.#own('SERVICE_UNAVAILABLE', { destination_service: msg.service, unsent_command: msg.command }), msg);
    }
    this.#report(from, msg, 'failed');
    if (local || msg.server === own) return this.log.debug('message for an unknown local service: dropped', { service: msg.service, command: msg.command });
    // Forwarding to remote communicators: none on a single node.
    this.log.debug('no remote communicator to forward to: dropped', { server: msg.server, service: msg.service, command: msg.command });
  }

  #report(to: RouterConnection, msg: Message, status: 'cached' | 'failed'): void {
    if (!msg.hasParameter('transmission_report') || msg.getParameter('transmission_report') !== 'failure') return;
    this.#send(to, this.#own('TRANSMISSION_REPORT', { command: msg.command, status }), msg);
  }

  #register(m: Message, c: RouterConnection): void {
    if (!m.hasParameter('service') || !m.hasParameter('version')) {
      return this.log.error('REGISTER needs a service and a version parameter', { message: m.toString() });
    }
    let ok: boolean;
    try {
      ok = m.checkVersionParameter();
    } catch {
      ok = false;
    }
    if (!ok) return this.log.error(`REGISTER with version "${m.getParameter('version')}": only version 1 is supported; ignored`);
    const name = m.getParameter('service');
    c.service = name;
    const now = this.o.nowUs();
    const prev = this.services.get(name);
    if (prev?.conn && prev.conn !== c) this.log.warn('a service registered again from another connection', { service: name });
    const s: ServiceState = { name, status: 'up', sinceUs: now, conn: c };
    this.services.set(name, s);
    this.log.info('service registered', { service: name, from: c.address });
    c.send(this.#own('HELP'));
    c.send(this.#own('READY', { my_address: this.myAddress }));
    for (const cached of this.cache.take(name, now)) c.send(cached);
    this.#broadcastStatus(s);
  }

  #unregister(m: Message, c: RouterConnection): void {
    if (!m.hasParameter('service')) return this.log.error('UNREGISTER needs a service parameter');
    this.detach(c.id);
    c.close();
  }

  #commands(m: Message, c: RouterConnection): void {
    if (!m.hasParameter('list')) return this.log.error('COMMANDS without a list parameter');
    c.commands = new Set(m.getParameter('list').split(',').filter((x) => x !== ''));
    const missing = REQUIRED_COMMANDS.filter((x) => !c.commands!.has(x));
    if (missing.length === 0) return;
    const who = `COMMANDS list of "${c.service ?? c.address}" lacks ${missing.join(', ')}`;
    if (!this.o.debug) return this.log.error(who);
    // Fatal in debug mode, but only for the offending connection: the router and others go on.
    this.log.error(`${who} (fatal in debug mode): connection closed`);
    this.detach(c.id);
    c.close();
  }

  #markDown(name: string, c: RouterConnection): void {
    const s = this.services.get(name);
    if (s === undefined || s.conn !== c) return;
    s.status = 'down';
    s.conn = null;
    s.sinceUs = this.o.nowUs();
    this.log.info('service down', { service: name });
    this.#broadcastStatus(s);
  }

  #status(s: ServiceState): Message {
    const sec = String(Math.floor(s.sinceUs / 1_000_000));
    return this.#own('STATUS', { service: s.name, status: s.status, [s.status === 'up' ? 'up_since' : 'down_since']: sec, cache: 'no' });
  }

  #broadcastStatus(s: ServiceState): void {
    const status = this.#status(s);
    for (const c of this.#conns.values()) if (c.commands?.has('STATUS')) c.send(status);
  }

  /** A message from the router itself (`<host:communicatord CMD ...`). */
  #own(command: string, params: Record<string, string> = {}): Message {
    const m = Message.fromFields({ sentFromServer: this.o.serverName, sentFromService: ROUTER_SERVICE, command, parameters: params }, false);
    return m;
  }

  #send(c: RouterConnection, m: Message, orig: Message): void {
    m.replyTo(orig);
    c.send(m);
  }

  #replyToOrigin(m: Message): boolean {
    const c = this.#origin;
    if (c === null) return false;
    m.setSentFromServer(this.o.serverName);
    m.setSentFromService(ROUTER_SERVICE);
    return c.send(m);
  }

  /** STOP: stop(false); SHUTDOWN / QUITTING / SIGINT: stop(true) (§7.4). */
  stop(quitting: boolean): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.log.info('router stopping', { quitting });
    for (const c of [...this.#conns.values()]) {
      if (c.kind === 'udp') continue;
      if (c.commands?.has('DISCONNECTING')) c.send(this.#own('DISCONNECTING'));
      c.close();
    }
    this.o.onStop(quitting);
  }
}
