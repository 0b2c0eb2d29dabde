// Asks: a pending promise per ask id, its deadline, and the reply that settles it. An ask id
// carries the asker's thread (id % 128 - 2) so that a reply finds its way back.

import type { Ref } from '../actor/ref.ts';
import type { Host } from './host.ts';
import type { PendingAsk } from './host-types.ts';
import type { AskOptions } from '../actor/types.ts';
import { ActorError, describeError, remoteFailure } from '../actor/errors.ts';
import { K_REPLY } from '../threads/wire.ts';
import { afterPush, outboxFor, pushRecord } from '../threads/send.ts';
import { localCell } from './directory.ts';

export function ask<R>(h: Host, ref: Ref<any>, message: unknown, options: AskOptions | undefined): Promise<R> {
  const timeoutMs = options?.timeoutMs ?? 5000;
  const id = h.askSeq++ * 128 + (h.thread + 2);
  return new Promise<R>((resolve, reject) => {
    h.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, thread: ref.thread, path: ref.path });
    h.deadlines.add(id, timeoutMs);
    const c = h.current;
    const prio = options?.priority ?? 0;
    if (ref.thread === h.thread) {
      // A node-qualified path (no leading '/') goes straight to the node router, as a tell does.
      if (h.remote !== null && ref.path.charCodeAt(0) !== 47) return void h.remote.mail(ref.path, message, c === null ? null : c.self, id, prio, -2);
      const cell = localCell(h, ref);
      if (cell === undefined) h.holdMail(ref.path, message, c === null ? null : c.self, id, prio, -2);
      else h.deliverLocal(cell, message, c === null ? null : c.self, id, prio, -2);
    } else {
      const box = outboxFor(h, ref.thread);
      box.mail(ref.path, message, c === null ? null : c.path, h.thread, id, prio);
      afterPush(h, ref.thread, box);
    }
  });
}

export function replyOk(h: Host, askId: number, value: unknown): void {
  routeReply(h, askId, 1, value);
}

export function replyError(h: Host, askId: number, error: unknown): void {
  const e = error instanceof ActorError ? { code: error.code, path: error.path, message: error.message, data: error.data } : { code: 'remote-error', path: '', message: describeError(error) };
  routeReply(h, askId, 0, e);
}

export function routeReply(h: Host, askId: number, ok: number, value: unknown): void {
  const thread = (askId % 128) - 2;
  if (thread === h.thread) settle(h, askId, ok, value);
  else if (thread !== FORWARDED) pushRecord(h, thread, K_REPLY, askId, ok, value);
  // an ask from a peer node: answered by the router on the main thread
  else if (h.remote !== null) h.remote.answer(askId, ok, value);
  else pushRecord(h, -1, K_REPLY, askId, ok, value);
}

export function settle(h: Host, askId: number, ok: number, value: unknown): void {
  if (h.remote !== null && (askId % 128) - 2 === FORWARDED) return h.remote.answer(askId, ok, value);
  const p = h.pending.get(askId);
  if (!p) return;
  h.pending.delete(askId);
  if (ok) p.resolve(value);
  else {
    const e = value as { code: string; path: string; message: string; data?: unknown };
    p.reject(e.code === 'remote-error' ? remoteFailure(p.path, e.message) : new ActorError(e.code, e.path || p.path, e.message, e.data));
  }
}

/**
 * The "thread" code of asks opened here for an asker on another node: their answers go to the
 * node router (RemoteRoute.answer) and no pending entry, promise or deadline is kept for them.
 */
export const FORWARDED = 125;

/** An ask id for mail forwarded from a peer node (see FORWARDED). */
export function forwardedAskId(h: Host): number {
  return h.askSeq++ * 128 + (FORWARDED + 2);
}

/** Rejects the pending asks to a thread (null: all of them) with the error made for each. */
export function failAsks(h: Host, thread: number | null, error: (p: PendingAsk) => Error): void {
  for (const [id, p] of h.pending) {
    if (thread !== null && p.thread !== thread) continue;
    h.pending.delete(id);
    p.reject(error(p));
  }
}
