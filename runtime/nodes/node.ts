// A runtime node: this system's name among its peers, its listener, one link per peer (dialed
// from the configuration or on first use, or accepted), the router that the main thread's host
// hands node-qualified mail to, and the inspection service other nodes and `inspect --node` use.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ActorSystem, SystemSnapshot } from '../kernel/system.ts';
import type { ActorRef, Logger } from '../actor/types.ts';
import { loggerFor } from '../log/log.ts';
import { describeError } from '../actor/errors.ts';
import { parseAddress } from './address.ts';
import { DEFAULT_MAX_DEPTH, W_CTRL, W_CTRL_REPLY, W_EVENT } from './codec.ts';
import { acceptHandshake, dialHandshake } from './handshake.ts';
import { Link, type LinkOptions } from './link.ts';
import { reconnectPolicy, type ReconnectPolicy } from '../io/reconnect.ts';
import { NodeRouter } from './router.ts';
import { readSecret } from './secret.ts';
import type { FrameChannel, Listener, TlsOptions, Transport } from './transport.ts';
import { wsTransport } from './ws-transport.ts';
import type { NodesConfig } from './config.ts';

export interface PeerInfo {
  name: string;
  state: string;
  url: string | null;
  remote: string | null;
  upForMs: number | null;
}

export interface NodeInfo {
  name: string;
  url: string | null;
  peers: PeerInfo[];
}

const HANDSHAKE_MS = 5000;
const CTRL_TIMEOUT_MS = 5000;

export class RuntimeNode {
  readonly name: string;
  readonly incarnation = randomBytes(9).toString('base64url');
  url: string | null = null;
  private system: ActorSystem;
  private links = new Map<string, Link>();
  private inspectors = new Set<Link>();
  private router: NodeRouter;
  private transport: Transport;
  private listener: Listener | null = null;
  private secret: Buffer;
  private linkOptions: LinkOptions;
  private policy: ReconnectPolicy;
  private log: Logger;
  private ctrlSeq = 1;
  private ctrlWaiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private eventFeeds = new Map<Link, () => void>();

  private constructor(system: ActorSystem, c: NodesConfig, baseDir: string) {
    this.system = system;
    this.name = c.name;
    this.log = loggerFor(`node:${c.name}`);
    this.secret = readSecret(c, baseDir);
    const heartbeatMs = c.heartbeatMs ?? 1000;
    const maxFrameBytes = c.maxFrameBytes ?? 16 * 1024 * 1024;
    const highWaterBytes = c.highWaterBytes ?? 8 * 1024 * 1024;
    this.linkOptions = {
      heartbeatMs,
      downAfterMs: c.downAfterMs ?? heartbeatMs * 5,
      maxFrameBytes,
      highWaterBytes,
      hardCapBytes: highWaterBytes * 8,
      flushAt: 1024,
      maxHeld: 100_000,
      maxDepth: c.maxDepth ?? DEFAULT_MAX_DEPTH,
    };
    this.policy = reconnectPolicy(c.reconnect);
    const tls: TlsOptions | undefined = c.tls && {
      cert: c.tls.certFile ? readFileSync(resolve(baseDir, c.tls.certFile), 'utf8') : undefined,
      key: c.tls.keyFile ? readFileSync(resolve(baseDir, c.tls.keyFile), 'utf8') : undefined,
      ca: c.tls.caFile ? readFileSync(resolve(baseDir, c.tls.caFile), 'utf8') : undefined,
      requireClientCert: c.tls.requireClientCert,
    };
    this.transport = wsTransport({ maxFrameBytes, tls, connectTimeoutMs: HANDSHAKE_MS });
    this.router = new NodeRouter(system.host, {
      self: c.name,
      maxDepth: c.maxDepth ?? DEFAULT_MAX_DEPTH,
      keepWatchesMs: c.keepWatchesMs,
      linkFor: (peer) => this.links.get(peer) ?? null,
      control: (link, r, at) => this.control(link, r, at),
      log: this.log,
    });
    for (const p of c.peers ?? []) if (p.name !== c.name) this.links.set(p.name, this.newLink(p.name, p.url));
  }

  /** Starts listening and dialing the configured peers; the host routes `node:/path` mail here. */
  static async start(system: ActorSystem, c: NodesConfig, baseDir = process.cwd()): Promise<RuntimeNode> {
    const node = new RuntimeNode(system, c, baseDir);
    if (c.listen) {
      node.listener = await node.transport.listen(
        c.listen,
        (ch) => void node.accept(ch),
        (remote, why) => node.log.warn('peer refused', { remote, reason: why }),
      );
      node.url = node.listener.url;
    }
    system.host.remote = node.router;
    for (const l of node.links.values()) l.startDialing();
    node.log.info('node started', { node: node.name, url: node.url, peers: [...node.links.keys()] });
    return node;
  }

  /** A ref to an actor on another node (`b:/pipeline/stage`), usable like any other. */
  ref<M = unknown>(address: string): ActorRef<M> {
    const a = parseAddress(address);
    if (a === null) throw new Error(`"${address}" is not a node address (expected node:/path)`);
    return a.node === this.name ? this.system.host.refFor<M>(a.path, this.system.host.registry?.get(a.path) ?? -1) : this.system.host.refFor<M>(address, -1);
  }

  /** Adds (or re-points) a peer at run time; it is dialed on first use. */
  addPeer(name: string, url: string): void {
    const l = this.links.get(name);
    if (l) l.url = url;
    else this.links.set(name, this.newLink(name, url));
  }

  /** Resolves once the link to `peer` is up (dialing it if needed); rejects after `timeoutMs`. */
  async connected(peer: string, timeoutMs = 10_000): Promise<void> {
    const l = this.links.get(peer);
    if (!l) throw new Error(`unknown peer node ${peer}`);
    const end = performance.now() + timeoutMs;
    while (l.state !== 'up') {
      l.dialNow();
      if (performance.now() > end) throw new Error(`no link to node ${peer} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Drops the link to `peer` as a network failure would (at-most-once: what was in flight is lost). */
  disconnect(peer: string, why = 'disconnected by request'): void {
    this.links.get(peer)?.channel?.close(why);
  }

  describe(): NodeInfo {
    const now = performance.now();
    return {
      name: this.name,
      url: this.url,
      peers: [...this.links.values()].map((l) => ({
        name: l.peer,
        state: l.state,
        url: l.url,
        remote: l.channel?.remote ?? null,
        upForMs: l.state === 'up' ? Math.round(now - l.upSince) : null,
      })),
    };
  }

  /** The actor tree of a peer, over its link (authenticated like all mail). */
  peerSnapshot(peer: string): Promise<SystemSnapshot> {
    return this.request(peer, 'snapshot', null) as Promise<SystemSnapshot>;
  }

  /** The thread of `path` on `peer`, or null when it has no such actor. */
  async lookup<M = unknown>(address: string): Promise<ActorRef<M> | undefined> {
    const a = parseAddress(address);
    if (a === null) throw new Error(`"${address}" is not a node address (expected node:/path)`);
    if (a.node === this.name) return this.system.lookup<M>(a.path);
    const t = (await this.request(a.node, 'lookup', a.path)) as number | null;
    return t === null ? undefined : this.system.host.refFor<M>(address, -1);
  }

  private request(peer: string, op: string, arg: unknown): Promise<unknown> {
    const l = this.links.get(peer);
    if (!l || !l.accepting()) return Promise.reject(new Error(`node ${peer} is not linked`));
    const id = this.ctrlSeq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ctrlWaiting.delete(id);
        reject(new Error(`no answer from node ${peer} in ${CTRL_TIMEOUT_MS} ms`));
      }, CTRL_TIMEOUT_MS);
      this.ctrlWaiting.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      l.record(W_CTRL, id, op, arg);
    });
  }

  async stop(): Promise<void> {
    if (this.system.host.remote === this.router) this.system.host.remote = null;
    for (const l of this.links.values()) l.close('node stopping');
    for (const l of this.inspectors) l.close('node stopping');
    this.router.close();
    await this.listener?.close();
    this.log.info('node stopped', { node: this.name });
  }

  // ---- links ---------------------------------------------------------------------------------

  private newLink(peer: string, url: string | null, inspector = false): Link {
    const o = inspector ? { ...this.linkOptions, downAfterMs: Number.MAX_SAFE_INTEGER } : this.linkOptions;
    return new Link(
      peer,
      url,
      o,
      this.policy,
      {
        up: (l, restarted) => {
          if (inspector) return;
          this.log.info('peer node up', { peer: l.peer, remote: l.channel?.remote });
          this.system.host.emit({ type: 'node', thread: -1, node: l.peer, state: 'up', reason: l.dialedHere ? 'dialed' : 'accepted' });
          this.router.up(l, restarted);
        },
        down: (l, why, deliberate) => {
          this.stopFeed(l);
          if (inspector) return void this.inspectors.delete(l);
          // A node stopping on purpose (this one or the peer) is news, not a fault.
          if (deliberate) this.log.info('peer node down', { peer: l.peer, reason: why });
          else this.log.warn('peer node down', { peer: l.peer, reason: why });
          this.system.host.emit({ type: 'node', thread: -1, node: l.peer, state: 'down', reason: why });
          this.router.down(l, why);
        },
        frame: (l, bytes) => this.router.frame(l, bytes),
        lost: (l, records, why) => this.router.lost(l, records, why),
        unblocked: (l) => this.router.unblocked(l),
      },
      (l) => this.dial(l),
      this.log,
      inspector,
    );
  }

  private async dial(link: Link): Promise<void> {
    const ch = await this.transport.dial(link.url!);
    let auth;
    try {
      auth = await dialHandshake(ch, this.name, this.incarnation, link.peer, this.secret, 'node', HANDSHAKE_MS);
    } catch (err) {
      this.log.warn('link refused', { peer: link.peer, remote: ch.remote, reason: describeError(err) });
      ch.close(describeError(err));
      throw err;
    }
    this.adopt(link, ch, true, auth.incarnation);
  }

  private async accept(ch: FrameChannel): Promise<void> {
    let auth;
    try {
      auth = await acceptHandshake(ch, this.name, this.incarnation, this.secret, HANDSHAKE_MS, (a) => this.duplicate(a.peer, a.role, a.incarnation));
    } catch (err) {
      const why = describeError(err);
      if (why.startsWith('duplicate link')) {
        this.log.debug('duplicate link refused', { remote: ch.remote, reason: why });
        ch.close(why);
        return;
      }
      this.log.warn('peer refused', { remote: ch.remote, reason: why });
      ch.close(`refused: ${describeError(err)}`);
      return;
    }
    if (auth.role === 'inspector') {
      const l = this.newLink(auth.peer, null, true);
      this.inspectors.add(l);
      l.adopt(ch, false, auth.incarnation);
      return;
    }
    if (auth.peer === this.name) return ch.close(`a peer claims this node's own name ${this.name}`);
    let link = this.links.get(auth.peer);
    if (!link) this.links.set(auth.peer, (link = this.newLink(auth.peer, null)));
    this.adopt(link, ch, false, auth.incarnation);
  }

  /**
   * One link per pair. When both nodes dial at once, the node with the smaller name refuses the
   * other's connection before welcoming it (so no mail is ever sent on a connection that is then
   * dropped): its own dial wins.
   */
  private duplicate(peer: string, role: string, incarnation: string): string | null {
    const l = this.links.get(peer);
    if (role !== 'node' || !l || !(this.name < peer)) return null;
    if (l.state === 'connecting') return 'duplicate link: this node is dialing you';
    if (l.state === 'up' && l.dialedHere && l.incarnation === incarnation) return 'duplicate link: already linked';
    return null;
  }

  /** A restarted peer (another incarnation) ends the old node life first; a newer channel replaces a stale one. */
  private adopt(link: Link, ch: FrameChannel, dialedHere: boolean, incarnation: string): void {
    if (link.closed) return ch.close('node stopping', true);
    if (link.state === 'up' && link.channel !== null) {
      const old = link.channel;
      if (link.incarnation !== incarnation) link.lost(`node ${link.peer} restarted`);
      else if (dialedHere && !(this.name < link.peer)) return ch.close('duplicate link');
      link.adopt(ch, dialedHere, incarnation);
      old.close('replaced by another link');
      return;
    }
    link.adopt(ch, dialedHere, incarnation);
  }

  // ---- inspection over links -----------------------------------------------------------------

  private control(link: Link, r: unknown[], at: number): void {
    const kind = r[at];
    if (kind === W_CTRL_REPLY) {
      const w = this.ctrlWaiting.get(r[at + 1] as number);
      this.ctrlWaiting.delete(r[at + 1] as number);
      if (!w) return;
      if (r[at + 2] === 1) w.resolve(r[at + 3]);
      else w.reject(new Error(String(r[at + 3])));
      return;
    }
    if (kind !== W_CTRL) return; // peer events are not followed here
    const id = r[at + 1];
    const reply = (ok: boolean, v: unknown): void => link.record(W_CTRL_REPLY, id, ok ? 1 : 0, v);
    switch (r[at + 2]) {
      case 'snapshot':
        this.system.snapshot().then(
          (s) => reply(true, s),
          (e) => reply(false, describeError(e)),
        );
        return;
      case 'peer-snapshot': {
        const peer = String(r[at + 3]);
        this.peerSnapshot(peer).then(
          (s) => reply(true, s),
          (e) => reply(false, describeError(e)),
        );
        return;
      }
      case 'lookup': {
        const path = r[at + 3];
        reply(true, typeof path === 'string' ? (this.system.host.registry?.get(path) ?? (this.system.host.cells.has(path) ? -1 : null)) : null);
        return;
      }
      case 'events':
        if (!this.eventFeeds.has(link)) this.eventFeeds.set(link, this.system.events.subscribe((ev) => link.record(W_EVENT, ev)));
        reply(true, null);
        return;
      default:
        reply(false, `unknown inspection request ${JSON.stringify(r[at + 2])} (expected snapshot, peer-snapshot, lookup or events)`);
    }
  }

  private stopFeed(l: Link): void {
    this.eventFeeds.get(l)?.();
    this.eventFeeds.delete(l);
  }
}
