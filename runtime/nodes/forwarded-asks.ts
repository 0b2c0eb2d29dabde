// Asks that arrive from a peer node: the local actor answers through the kernel's reply routing
// (an ask id from `Host.forwardedAskId`, see kernel/asks.ts FORWARDED), which hands the answer
// here to go back over the link. One entry per open ask; no promise, closure or deadline timer.
// An ask nobody answers is answered `ask-timeout` by the sweep once older than `timeoutMs`
// (checked every sweep, so up to one sweep period late); the asker's own deadline usually ends
// it long before.

import type { Host } from '../kernel/host.ts';
import { askTimeout } from '../actor/errors.ts';
import { qualify } from './address.ts';
import type { Link } from './link.ts';

interface Forwarded {
  link: Link;
  /** The asker's node life: an answer after the peer restarted is dropped. */
  incarnation: string;
  /** The ask id on the asking node. */
  peerAsk: number;
  /** The local path asked (for the timeout's message). */
  to: string;
  /** The sweep count when it was opened (a coarse clock: no clock read per ask). */
  sweep: number;
}

export class ForwardedAsks {
  private readonly host: Host;
  private readonly self: string;
  private open = new Map<number, Forwarded>();

  constructor(host: Host, self: string) {
    this.host = host;
    this.self = self;
  }

  /** Opens an ask from `link`'s peer to the local path `to`: the id to deliver the mail with. */
  add(link: Link, peerAsk: number, to: string, sweep: number): number {
    const id = this.host.forwardedAskId();
    this.open.set(id, { link, incarnation: link.incarnation, peerAsk, to, sweep });
    return id;
  }

  /** The local answer (ok 0: an error, as the kernel describes it: code and message). */
  answer(id: number, ok: number, value: unknown): void {
    const f = this.open.get(id);
    if (f === undefined) return;
    this.open.delete(id);
    const link = f.link;
    if (link.state !== 'up' || link.incarnation !== f.incarnation) return; // the asker's node life is over
    // A reply that cannot cross is turned into an `unsendable` error by the link (see frames.ts).
    if (ok) return link.reply(f.peerAsk, 1, value);
    const e = (value ?? {}) as { code?: unknown; message?: unknown };
    link.reply(f.peerAsk, 0, { code: String(e.code ?? 'remote-error'), message: String(e.message ?? 'failed on the remote node') });
  }

  /** Answers `ask-timeout` to the asks opened before sweep `old` (at least `timeoutMs` ago). */
  expire(old: number, timeoutMs: number): void {
    for (const [id, f] of this.open) if (f.sweep < old) this.answer(id, 0, askTimeout(qualify(this.self, f.to), timeoutMs));
  }
}
