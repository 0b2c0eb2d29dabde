// Sending to other threads: one Outbox per thread, flushed once per turn (or at once past
// FLUSH_AT) as one batch on the link to that thread. A batch that cannot be posted fails its mail
// as dead letters and its asks as `unsendable`.

import { ActorError, describeError } from '../actor/errors.ts';
import type { Host } from '../kernel/host.ts';
import type { HostMsg } from '../kernel/host-types.ts';
import { replyError } from '../kernel/asks.ts';
import type { Ref } from '../actor/ref.ts';
import { Outbox, FLUSH_AT } from './outbox.ts';
import { K_HOST, unsentMail } from './wire.ts';

export function outboxFor(h: Host, thread: number): Outbox {
  let box = h.outboxes[thread + 1];
  if (box === undefined) h.outboxes[thread + 1] = box = new Outbox();
  return box;
}

export function afterPush(h: Host, thread: number, box: Outbox): void {
  if (box.size >= FLUSH_AT) flushOne(h, thread, box);
  else if (!h.flushScheduled) {
    h.flushScheduled = true;
    queueMicrotask(h.flushFn);
  }
}

/** Mail that arrived on this thread for an actor on `thread` (from another node): queued for that thread as it came. */
export function sendOnward(h: Host, to: string, thread: number, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number): void {
  const box = outboxFor(h, thread);
  const fromPath = from === null ? null : from.path;
  const fromThread = from === null ? h.thread : from.thread;
  if (askId === 0 && priority === 0) box.tell(to, msg, fromPath, fromThread);
  else box.mail(to, msg, fromPath, fromThread, askId, priority);
  afterPush(h, thread, box);
}

export function pushRecord(h: Host, thread: number, kind: number, a: unknown, b?: unknown, c?: unknown): void {
  const box = outboxFor(h, thread);
  box.record(kind, a, b, c);
  afterPush(h, thread, box);
}

export function postHost(h: Host, thread: number, msg: HostMsg): void {
  pushRecord(h, thread, K_HOST, msg);
}

export function flush(h: Host): void {
  h.flushScheduled = false;
  const boxes = h.outboxes;
  for (let i = 0; i < boxes.length; i++) {
    const box = boxes[i];
    if (box !== undefined && box.size > 0) flushOne(h, i - 1, box);
  }
}

export function flushOne(h: Host, thread: number, box: Outbox): void {
  const batch = box.take();
  const link = h.links.get(thread);
  if (!link) {
    h.log.warn('no link to thread; mail dropped', { thread, records: batch.length });
    failBatch(h, batch, `no link to thread ${thread}`);
    return;
  }
  try {
    link.postMessage(batch);
  } catch (err) {
    // An uncloneable message: fail the whole batch loudly rather than silently.
    h.log.error('cannot send batch to thread', { thread, error: describeError(err) });
    failBatch(h, batch, describeError(err));
  }
}

/** Mail in a batch that could not be posted: dead letters, and its asks fail as `unsendable`. */
export function failBatch(h: Host, box: unknown[], why: string): void {
  unsentMail(box, (u) => {
    h.countDeadLetters(u.to, u.count, `unsendable: ${why}`);
    if (u.askId) replyError(h, u.askId, new ActorError('unsendable', u.to, `message to ${u.to} cannot cross threads: ${why}`));
  });
}
