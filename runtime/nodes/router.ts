// Routing between this node's host and its links: mail and system messages for node-qualified
// paths leave through the peer's link; records arriving from a peer reach local actors with
// their senders and the refs inside them qualified by node, so replies and forwarded refs find
// their way back (peer-refs.ts). Asks to a peer are remembered here: when the link is lost they
// reject with `node-down`. Watches of a peer's actors are kept by watches.ts.

import type { Host, RemoteRoute, SysMsg } from '../kernel/host.ts';
import type { Ref } from '../actor/ref.ts';
import { ActorError, describeError } from '../actor/errors.ts';
import { parseAddress, qualify, type NodeAddress } from './address.ts';
import { localPath, PeerRefs, TOO_DEEP } from './peer-refs.ts';
import { NodeWatches } from './watches.ts';
import { ForwardedAsks } from './forwarded-asks.ts';
import { decodeFrame, withinDepth, W_BEAT, W_CTRL, W_CTRL_REPLY, W_EVENT, W_MAIL, W_REPLY, W_RUN, W_SYS } from './codec.ts';
import type { Link } from './link.ts';
import { recordStarts } from './frames.ts';
import type { Logger } from '../actor/types.ts';

/** How long an ask from a peer may stay open here (the asker has its own, usually shorter, deadline). */
const PROXY_ASK_MS = 120_000;
const FORGET_ASKS_AFTER_MS = 600_000;
const SWEEP_MS = 30_000;
const MAX_ADDRESSES = 65_536;

export const nodeDown = (path: string, node: string, why: string): ActorError =>
  new ActorError('node-down', path, `node ${node} hosting ${path} is down (${why})`);

interface ForwardedAsk {
  peer: string;
  path: string;
  /** The sweep count when it was sent (a coarse clock: no clock read per ask). */
  sweep: number;
}

export interface RouterOptions {
  self: string;
  maxDepth: number;
  /** See NodesConfig.keepWatchesMs; undefined: until the peer is declared down. */
  keepWatchesMs: number | undefined;
  linkFor(peer: string): Link | null;
  /** Inspection records (W_CTRL, W_CTRL_REPLY, W_EVENT) go to the node. */
  control(link: Link, records: unknown[], at: number): void;
  log: Logger;
}

export class NodeRouter implements RemoteRoute {
  private readonly host: Host;
  private readonly o: RouterOptions;
  private readonly self: string;
  private asks = new Map<number, ForwardedAsk>();
  private readonly watches: NodeWatches;
  private readonly refs: PeerRefs;
  private readonly forwarded: ForwardedAsks;
  /** Senders on worker threads told to hold back, by peer: `thread path` keys. */
  private overSenders = new Map<string, Set<string>>();
  private waiters = new Map<string, (() => void)[]>();
  /** Parsed node addresses (every remote tell names one): parsing each time cost ~3%. */
  private addresses = new Map<string, NodeAddress | null>();
  private lastLink: Link | null = null;
  /** The last remote path told and its parsed address: bursts mostly name one actor. */
  private lastPath: string | null = null;
  private lastAddress: NodeAddress | null = null;
  private sweeper: NodeJS.Timeout;
  private sweeps = 0;

  constructor(host: Host, o: RouterOptions) {
    this.host = host;
    this.o = o;
    this.self = o.self;
    this.watches = new NodeWatches(host, o.log);
    this.refs = new PeerRefs(host, o.self);
    this.forwarded = new ForwardedAsks(host, o.self);
    this.sweeper = setInterval(() => this.forgetOldAsks(), SWEEP_MS);
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    this.watches.close();
  }

  // ---- outgoing --------------------------------------------------------------------------

  private address(path: string): NodeAddress | null {
    let a = this.addresses.get(path);
    if (a === undefined) {
      if (this.addresses.size >= MAX_ADDRESSES) this.addresses.clear();
      this.addresses.set(path, (a = parseAddress(path)));
    }
    return a;
  }

  mail(path: string, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number, fromThread: number): boolean {
    // A tell to the path told last, over a link that is up: nothing to look up again (and a
    // body small enough to be inlined where tells are made).
    const fast = this.lastLink;
    if (path === this.lastPath && askId === 0 && priority === 0 && fast !== null && fast.state === 'up') {
      fast.tell(this.lastAddress!.path, this.refs.hintFor(path), msg, from === null ? null : from.path, from === null ? -1 : from.thread);
      return !fast.blocked || this.heldBack(fast.peer, path, fromThread);
    }
    return this.route(path, msg, from, askId, priority, fromThread);
  }

  /** Mail by the whole route: address, own node, link, its state; asks are remembered. */
  private route(path: string, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number, fromThread: number): boolean {
    const a = path === this.lastPath ? this.lastAddress : this.address(path);
    if (a === null) return this.refuse(path, askId, 'malformed-address', `"${path}" is not a node address (node:/path)`);
    if (a.node === this.self) {
      this.host.deliverFromNode(a.path, this.refs.threadFor(a.path, -2), msg, from, askId, priority);
      return true;
    }
    // The last link used is kept: consecutive tells mostly go to the same node.
    const link = this.lastLink !== null && this.lastLink.peer === a.node ? this.lastLink : this.o.linkFor(a.node);
    if (link === null) return this.refuse(path, askId, 'node-unknown', `no link to node ${a.node} (not among the peers)`);
    if (link.state === 'down') link.dialNow();
    if (!link.accepting()) return this.refuse(path, askId, 'node-down', `node ${a.node} is down`);
    // What cannot cross makes the frame's encoder throw; the link then refuses just that mail.
    // The last path, its address and its link always go together (the fast path above).
    this.lastPath = path;
    this.lastAddress = a;
    this.lastLink = link;
    const hint = this.refs.hintFor(path);
    const fromPath = from === null ? null : from.path;
    const fromT = from === null ? -1 : from.thread;
    if (askId !== 0) {
      this.asks.set(askId, { peer: a.node, path, sweep: this.sweeps });
      link.mail(a.path, hint, msg, fromPath, fromT, askId, priority);
    } else if (priority === 0) link.tell(a.path, hint, msg, fromPath, fromT);
    else link.mail(a.path, hint, msg, fromPath, fromT, 0, priority);
    return !link.blocked || this.heldBack(a.node, path, fromThread);
  }

  /** The link to `peer` is over its high-water mark: a sender on a worker thread is told to hold back. */
  private heldBack(peer: string, path: string, fromThread: number): false {
    if (fromThread >= -1 && fromThread !== this.host.thread) {
      let s = this.overSenders.get(peer);
      if (!s) this.overSenders.set(peer, (s = new Set()));
      const key = `${fromThread} ${path}`;
      if (!s.has(key)) {
        s.add(key);
        this.host.postHost(fromThread, { t: 'over', path });
      }
    }
    return false;
  }

  private refuse(path: string, askId: number, code: string, why: string): false {
    this.host.countDeadLetters(path, 1, why);
    if (askId !== 0) this.host.replyError(askId, new ActorError(code, path, why));
    return false;
  }

  sys(path: string, sys: SysMsg): void {
    const a = this.address(path);
    if (a === null) return;
    if (a.node === this.self) {
      this.host.sendSys(this.host.refFor(a.path, this.refs.threadFor(a.path, -2)), sys);
      return;
    }
    const link = this.o.linkFor(a.node);
    if (link !== null && link.state === 'down') link.dialNow();
    const up = link !== null && link.accepting();
    const hint = this.refs.hintFor(path);
    if (sys.t === 'watch') {
      // While the link is down but the peer not yet declared down, the watch waits for it.
      if (!up && !this.watches.inGrace(a.node)) return this.watches.tellDown(path, sys.path, sys.thread);
      this.watches.add(a.node, path, sys.path, sys.thread);
    } else if (sys.t === 'unwatch') this.watches.remove(a.node, path, sys.path);
    else if (!up && sys.t === 'terminated' && this.watches.hold(a.node, a.path, hint, sys)) return;
    if (up) link!.record(W_SYS, a.path, hint, sys);
  }

  writable(path: string): Promise<void> {
    const a = parseAddress(path);
    const link = a === null ? null : this.o.linkFor(a.node);
    if (link === null || !link.blocked) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(link.peer) ?? [];
      list.push(resolve);
      this.waiters.set(link.peer, list);
    });
  }

  // ---- link events -----------------------------------------------------------------------

  unblocked(link: Link): void {
    const w = this.waiters.get(link.peer);
    this.waiters.delete(link.peer);
    if (w) for (const f of w) f();
    const s = this.overSenders.get(link.peer);
    this.overSenders.delete(link.peer);
    if (s) {
      for (const key of s) {
        const sp = key.indexOf(' ');
        this.host.postHost(Number(key.slice(0, sp)), { t: 'writable', path: key.slice(sp + 1) });
      }
    }
  }

  /** The link is up; `restarted`: the peer is another process than before (a new node life). */
  up(link: Link, restarted: boolean): void {
    this.watches.linkUp(link, restarted);
  }

  /**
   * The link is lost: its asks reject at once (what was in flight is lost); watches wait until
   * the peer is declared down (nothing heard for `downAfterMs`) in case the link comes back.
   */
  down(link: Link, why: string): void {
    const peer = link.peer;
    for (const [id, f] of this.asks) {
      if (f.peer !== peer) continue;
      this.asks.delete(id);
      this.host.replyError(id, nodeDown(f.path, peer, why));
    }
    this.watches.linkDown(peer, link.closed ? 0 : Math.min(link.downInMs(), this.o.keepWatchesMs ?? Infinity));
    this.unblocked(link);
  }

  /** Records that never left: dead letters for mail, failed asks, `node-down` for watches. */
  lost(link: Link, records: unknown[], why: string): void {
    const peer = link.peer;
    const code = why.includes('frame cap') || why.includes('cannot cross') ? 'unsendable' : why.includes('buffer cap') ? 'mailbox-full' : 'node-down';
    for (const at of recordStarts(records)) {
      const k = records[at] as number;
      const to = qualify(peer, records[at + 1] as string);
      if (k === W_RUN) this.host.countDeadLetters(to, (records[at + 5] as unknown[]).length, why);
      else if (k === W_MAIL) {
        this.host.countDeadLetters(to, 1, why);
        const askId = records[at + 6] as number;
        if (askId !== 0 && this.asks.delete(askId)) this.host.replyError(askId, new ActorError(code, to, `${why}: mail to ${to} not sent`));
      } else if (k === W_SYS) {
        const s = records[at + 3] as SysMsg;
        // A watch is sent again if the link returns in time; a termination waits for it.
        if (s.t === 'watch' && !this.watches.inGrace(peer) && this.watches.remove(peer, to, s.path)) this.watches.tellDown(to, s.path, s.thread);
        else if (s.t === 'terminated') this.watches.hold(peer, records[at + 1] as string, records[at + 2] as number, s);
      }
    }
  }

  // ---- incoming --------------------------------------------------------------------------

  /** A frame from a peer. A malformed one closes that link only, with the reason logged. */
  frame(link: Link, bytes: Uint8Array): void {
    try {
      const r = decodeFrame(bytes);
      this.records(link, r);
    } catch (err) {
      // Bounded: a decoder's message can quote the peer's bytes.
      const why = describeError(err).slice(0, 200);
      this.o.log.warn('bad frame from peer node; closing the link', { peer: link.peer, remote: link.channel?.remote, reason: why });
      link.channel?.close(`bad frame: ${why}`);
    }
  }

  private records(link: Link, r: unknown[]): void {
    const peer = link.peer;
    const host = this.host;
    const depth = this.o.maxDepth;
    for (let i = 0; i < r.length; ) {
      const k = r[i];
      if (link.inspector && k !== W_CTRL && k !== W_BEAT) throw new Error('an inspector link carries no mail');
      switch (k) {
        case W_RUN:
          this.run(link, r, i);
          i += 6;
          break;
        case W_MAIL: {
          const to = localPath(r[i + 1]);
          const thread = this.refs.threadFor(to, r[i + 2]);
          const msg = this.refs.rehydrate(r[i + 3], peer, depth);
          const from = this.refs.senderRef(peer, r[i + 4], r[i + 5]);
          const askId = r[i + 6];
          const prio = typeof r[i + 7] === 'number' ? (r[i + 7] as number) : 0;
          let local = 0;
          if (msg === TOO_DEEP) {
            this.tooDeep(link, to, askId);
            i += 8;
            break;
          }
          if (typeof askId === 'number' && askId !== 0) local = this.forwarded.add(link, askId, to, this.sweeps);
          host.deliverFromNode(to, thread, msg, from, local, prio);
          i += 8;
          break;
        }
        case W_REPLY: {
          const askId = r[i + 1] as number;
          const f = this.asks.get(askId);
          // Only an ask we sent to this very peer can be answered by it.
          if (f !== undefined && f.peer === peer) {
            this.asks.delete(askId);
            const v = r[i + 2] === 1 ? this.refs.rehydrate(r[i + 3], peer, depth) : TOO_DEEP;
            if (v !== TOO_DEEP) host.replyOk(askId, v);
            else if (r[i + 2] === 1) host.replyError(askId, new ActorError('unsendable', f.path, `the reply from ${f.path} nests deeper than ${depth} levels`));
            else {
              const e = (r[i + 3] ?? {}) as { code?: unknown; message?: unknown };
              host.replyError(askId, new ActorError(String(e.code ?? 'remote-error'), f.path, String(e.message ?? 'failed on the remote node')));
            }
          }
          i += 4;
          break;
        }
        case W_SYS: {
          const to = localPath(r[i + 1]);
          const thread = this.refs.threadFor(to, r[i + 2]);
          const s = this.incomingSys(peer, to, r[i + 3]);
          if (s !== null) host.sendSys(host.refFor(to, thread), s);
          i += 4;
          break;
        }
        case W_CTRL:
        case W_CTRL_REPLY:
          if (!withinDepth(r[i + 3], depth)) throw new Error(`an inspection record nested deeper than ${depth} levels`);
          this.o.control(link, r, i);
          i += 4;
          break;
        case W_EVENT:
          if (!withinDepth(r[i + 1], depth)) throw new Error(`an event nested deeper than ${depth} levels`);
          this.o.control(link, r, i);
          i += 2;
          break;
        case W_BEAT:
          i += 1;
          break;
        default:
          throw new Error(`unknown record kind ${JSON.stringify(k)} at ${i}`);
      }
    }
  }

  /**
   * A run of tells to one actor from one sender. A target on this thread (the common case) is
   * found once and the run goes into its mailbox at once; what nests too deep is refused alone.
   * The per-message loop is `PeerRefs.rehydrateRun` (small, so it compiles small).
   */
  private run(link: Link, r: unknown[], i: number): void {
    const host = this.host;
    const to = localPath(r[i + 1]);
    const thread = this.refs.threadFor(to, r[i + 2]);
    const from = this.refs.senderRef(link.peer, r[i + 3], r[i + 4]);
    const list = r[i + 5];
    if (!Array.isArray(list)) throw new Error('a run without a message list');
    const all = list.length;
    const n = this.refs.rehydrateRun(list, link.peer, this.o.maxDepth);
    if (n < all) host.countDeadLetters(to, all - n, `a message from node ${link.peer} nests deeper than ${this.o.maxDepth} levels`);
    const cell = thread === host.thread ? host.cells.get(to) : undefined;
    if (cell !== undefined) host.deliverRun(cell, list, n, from);
    else for (let j = 0; j < n; j++) host.deliverFromNode(to, thread, list[j], from, 0, 0);
  }

  /** System messages from a peer name its actors by their local paths: qualify them. */
  private incomingSys(peer: string, to: string, v: unknown): SysMsg | null {
    const s = v as SysMsg;
    if (s === null || typeof s !== 'object') throw new Error('a system message that is not an object');
    if (!withinDepth(s, this.o.maxDepth)) throw new Error(`a system message nested deeper than ${this.o.maxDepth} levels`);
    switch (s.t) {
      case 'watch':
      case 'unwatch': {
        const p = qualify(peer, localPath(s.path));
        if (s.t === 'watch') this.refs.hint(p, s.thread);
        return s.t === 'watch' ? { t: 'watch', path: p, thread: -1 } : { t: 'unwatch', path: p };
      }
      case 'terminated': {
        const p = qualify(peer, localPath(s.path));
        this.refs.hint(p, s.thread);
        // Once per watch: a watch registered again after a reconnect may be answered twice.
        return this.watches.arrived(peer, p, to) ? { t: 'terminated', path: p, thread: -1, reason: s.reason } : null;
      }
      case 'stop':
      case 'enable':
      case 'disable':
        return s;
      default:
        // Parents and children never span nodes: supervision messages from a peer are refused.
        this.o.log.debug('system message from a peer refused', { peer, type: String(s.t) });
        return null;
    }
  }

  /** The answer to an ask a peer sent here (RemoteRoute.answer, from the kernel's reply routing). */
  answer(askId: number, ok: number, value: unknown): void {
    this.forwarded.answer(askId, ok, value);
  }

  /** A message nested past the depth limit is refused alone: a dead letter here, its ask fails. */
  private tooDeep(link: Link, to: string, askId: unknown): void {
    const why = `a message from node ${link.peer} nests deeper than ${this.o.maxDepth} levels`;
    this.host.countDeadLetters(to, 1, why);
    if (typeof askId === 'number' && askId !== 0) link.record(W_REPLY, askId, 0, { code: 'unsendable', message: `mail to ${qualify(this.self, to)}: ${why}` });
  }

  private forgetOldAsks(): void {
    const old = ++this.sweeps - FORGET_ASKS_AFTER_MS / SWEEP_MS;
    for (const [id, f] of this.asks) if (f.sweep < old) this.asks.delete(id);
    this.forwarded.expire(this.sweeps - PROXY_ASK_MS / SWEEP_MS, PROXY_ASK_MS);
  }
}
