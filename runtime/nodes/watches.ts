// Death watch across nodes. Watches of a peer's actors are remembered per peer; when its link
// drops they are kept until the peer is declared down (nothing heard from it for `downAfterMs`):
// a link that comes back in time, to the same node life, re-registers them, and terminations the
// peer could not send meanwhile are sent then, with their own reasons. A peer declared down, or
// back as another node life (restarted), ends them with `node-down`. A `terminated` from a peer
// reaches its watcher once, and only for a watch this node registered (a re-registered watch of
// an actor that already stopped is answered a second time by the peer).

import type { Host, SysMsg } from '../kernel/host.ts';
import { W_SYS } from './codec.ts';
import type { Link } from './link.ts';
import type { Logger } from '../actor/types.ts';

export const NODE_DOWN = { error: 'node-down' } as const;
/** Terminations held for one peer while its link is down; more are dropped (at most once). */
const MAX_HELD = 10_000;

interface Held {
  to: string;
  hint: number;
  sys: SysMsg;
}

export class NodeWatches {
  private readonly host: Host;
  private readonly log: Logger;
  /** peer -> watched path (node-qualified) -> watcher path here -> watcher thread. */
  private watching = new Map<string, Map<string, Map<string, number>>>();
  /** Peers whose link dropped and that are not declared down yet, with the timer that will. */
  private grace = new Map<string, NodeJS.Timeout>();
  /** Terminations for watchers on a peer in grace, sent when its link returns. */
  private held = new Map<string, Held[]>();

  constructor(host: Host, log: Logger) {
    this.host = host;
    this.log = log;
  }

  add(peer: string, target: string, watcher: string, thread: number): void {
    let byPath = this.watching.get(peer);
    if (!byPath) this.watching.set(peer, (byPath = new Map()));
    let w = byPath.get(target);
    if (!w) byPath.set(target, (w = new Map()));
    w.set(watcher, thread);
  }

  remove(peer: string, target: string, watcher: string): boolean {
    const byPath = this.watching.get(peer);
    const w = byPath?.get(target);
    if (!w || !w.delete(watcher)) return false;
    if (w.size === 0) byPath!.delete(target);
    return true;
  }

  /** A `terminated` from `peer` for `watcher`: true when it should be delivered (once). */
  arrived(peer: string, target: string, watcher: string): boolean {
    return this.remove(peer, target, watcher);
  }

  /** The peer's link is down but the peer is not declared down yet. */
  inGrace(peer: string): boolean {
    return this.grace.has(peer);
  }

  /** Holds a termination for a watcher on `peer` while its link is down; false when not in grace. */
  hold(peer: string, to: string, hint: number, sys: SysMsg): boolean {
    if (!this.grace.has(peer)) return false;
    let list = this.held.get(peer);
    if (!list) this.held.set(peer, (list = []));
    if (list.length < MAX_HELD) list.push({ to, hint, sys });
    return true;
  }

  /** The link dropped: the peer is declared down in `inMs` unless it comes back first. */
  linkDown(peer: string, inMs: number): void {
    this.cancelGrace(peer);
    if (inMs <= 0) return this.declareDown(peer);
    const t = setTimeout(() => {
      this.grace.delete(peer);
      this.declareDown(peer);
    }, inMs);
    t.unref();
    this.grace.set(peer, t);
  }

  /** The link is back: the same node life gets its watches again, another one ends them. */
  linkUp(link: Link, restarted: boolean): void {
    const peer = link.peer;
    // Not in grace: the peer was declared down before (what is watched now is of this life).
    if (!this.cancelGrace(peer)) return;
    if (restarted) return this.declareDown(peer);
    const held = this.held.get(peer);
    this.held.delete(peer);
    if (held) for (const h of held) link.record(W_SYS, h.to, h.hint, h.sys);
    const byPath = this.watching.get(peer);
    if (!byPath) return;
    let n = 0;
    for (const [target, watchers] of byPath) {
      const local = target.slice(peer.length + 1);
      for (const [wPath, wThread] of watchers) {
        link.record(W_SYS, local, -2, { t: 'watch', path: wPath, thread: wThread });
        n++;
      }
    }
    this.log.info('watches of a peer node registered again after a reconnect', { peer, watches: n, terminations: held?.length ?? 0 });
  }

  /** Every watcher of the peer's actors hears `node-down`; held terminations are dropped. */
  declareDown(peer: string): void {
    this.cancelGrace(peer);
    this.held.delete(peer);
    const byPath = this.watching.get(peer);
    this.watching.delete(peer);
    if (!byPath) return;
    for (const [target, watchers] of byPath) {
      for (const [wPath, wThread] of watchers) this.tellDown(target, wPath, wThread);
    }
  }

  /** One watcher hears `node-down` for `target` at once (the watch could not be registered). */
  tellDown(target: string, watcher: string, thread: number): void {
    this.host.sendSys(this.host.refFor(watcher, thread), { t: 'terminated', path: target, thread: -1, reason: NODE_DOWN });
  }

  close(): void {
    for (const t of this.grace.values()) clearTimeout(t);
    this.grace.clear();
    this.held.clear();
  }

  private cancelGrace(peer: string): boolean {
    const t = this.grace.get(peer);
    if (t === undefined) return false;
    clearTimeout(t);
    this.grace.delete(peer);
    return true;
  }
}
