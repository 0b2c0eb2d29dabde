// How refs that arrive from a peer are seen on this node, and the thread hints sent back with
// mail. A sender path or a top-level ref inside a message names an actor of the peer (qualified
// by its node here), of a third node (kept as it is), or of this node (made local again); the
// peer's thread for each of its actors is remembered and sent back with mail to it, so the far
// side delivers without a registry lookup.

import type { Host } from '../kernel/host.ts';
import { isPlainRef, type Ref } from '../actor/ref.ts';
import { parseAddress, qualify } from './address.ts';
import { withinDepth } from './codec.ts';

const MAX_HINTS = 65_536;
/** What `rehydrate` returns for a message nested past the depth limit. */
export const TOO_DEEP = Symbol('too deep');

export class PeerRefs {
  private readonly host: Host;
  private readonly self: string;
  /** Thread of a peer's actor on its node (node-qualified path -> thread), learned from its mail. */
  private hints = new Map<string, number>();
  /** The last path asked for and its hint: bursts mostly name one actor. */
  private lastPath: string | null = null;
  private lastHint = -2;

  constructor(host: Host, self: string) {
    this.host = host;
    this.self = self;
  }

  /** The hint to send with mail to `path` (node-qualified); -2 when unknown. */
  hintFor(path: string): number {
    if (path === this.lastPath) return this.lastHint;
    const h = this.hints.get(path) ?? -2;
    this.lastPath = path;
    this.lastHint = h;
    return h;
  }

  hint(path: string, thread: unknown): void {
    if (typeof thread !== 'number' || thread < -1) return;
    if (this.hints.size >= MAX_HINTS) this.hints.clear();
    this.hints.set(path, thread);
    if (path === this.lastPath) this.lastHint = thread;
  }

  /** The ref of a peer's sender (`path` local to the peer); null for mail sent from outside any actor. */
  senderRef(peer: string, path: unknown, thread: unknown): Ref<unknown> | null {
    if (path === null || path === undefined) return null;
    const p = qualify(peer, localPath(path));
    this.hint(p, thread);
    return this.host.refFor(p, -1);
  }

  /**
   * Top-level refs inside a message (as the kernel does across threads), seen from this node, and
   * the depth limit checked in the same pass: TOO_DEEP when the message nests deeper than `depth`.
   */
  rehydrate(msg: unknown, peer: string, depth: number): unknown {
    if (msg === null || typeof msg !== 'object' || ArrayBuffer.isView(msg)) return msg;
    if (Array.isArray(msg) || msg instanceof Map || msg instanceof Set) return withinDepth(msg, depth) ? msg : TOO_DEEP;
    if (isPlainRef(msg)) return this.refFrom(msg, peer);
    for (const k in msg) {
      const v = (msg as Record<string, unknown>)[k];
      if (v === null || typeof v !== 'object') continue;
      if (isPlainRef(v)) (msg as Record<string, unknown>)[k] = this.refFrom(v, peer);
      else if (!withinDepth(v, depth - 1)) return TOO_DEEP;
    }
    return msg;
  }

  /**
   * `rehydrate` over a run's messages in place, leaving out those nested too deep: how many are
   * left at the front of `list`.
   */
  rehydrateRun(list: unknown[], peer: string, depth: number): number {
    let n = 0;
    for (let j = 0; j < list.length; j++) {
      const m = this.rehydrate(list[j], peer, depth);
      if (m !== TOO_DEEP) list[n++] = m;
    }
    return n;
  }

  private refFrom(v: { path: unknown; thread?: unknown }, peer: string): unknown {
    if (typeof v.path !== 'string') return v;
    const a = parseAddress(v.path);
    if (a === null) return this.senderRef(peer, v.path, v.thread);
    if (a.node === this.self) return this.host.refFor(a.path, this.threadFor(a.path, -2));
    return this.host.refFor(v.path, -1);
  }

  /** The thread of a local actor: the registry knows non-quiet actors; else the peer's hint. */
  threadFor(path: string, hint: unknown): number {
    const t = this.host.registry?.get(path);
    if (t !== undefined) return t;
    if (typeof hint === 'number' && Number.isInteger(hint) && hint >= -1 && hint < this.host.workers) return hint;
    return -1;
  }
}

/** An actor path as a peer sends it (local to one node); anything else makes the frame malformed. */
export function localPath(v: unknown): string {
  if (typeof v !== 'string' || v.charCodeAt(0) !== 47) throw new Error(`expected an actor path, found ${JSON.stringify(v)?.slice(0, 60)}`);
  return v;
}
