// Backpressure: waiting for room in a full mailbox, here or on another thread (which told us
// `over` and will tell us `writable`), and telling senders when a mailbox has drained.

import type { Cell } from '../actor/cell.ts';
import type { Ref } from '../actor/ref.ts';
import type { Host } from './host.ts';
import { isRemotePath } from './host-types.ts';
import { localCell } from './directory.ts';
import { postHost } from '../threads/send.ts';

export function writable(h: Host, ref: Ref<any>): Promise<void> {
  if (h.remote !== null && isRemotePath(ref.path)) return h.remote.writable(ref.path);
  if (ref.thread === h.thread) {
    const cell = localCell(h, ref);
    if (!cell || cell.mailbox.size < cell.mailbox.capacity) return Promise.resolve();
    return new Promise((res) => (cell.writableWaiters ??= []).push(res));
  }
  if (!h.blocked.has(ref.path)) return Promise.resolve();
  return new Promise((res) => {
    const list = h.blockedWaiters.get(ref.path) ?? [];
    list.push(res);
    h.blockedWaiters.set(ref.path, list);
  });
}

export function notifyWritable(h: Host, cell: Cell): void {
  const threads = cell.overThreads;
  cell.overThreads = null;
  if (threads) for (const t of threads) postHost(h, t, { t: 'writable', path: cell.path });
  cell.releaseWaiters();
}

/** A path on another thread has room again (or its thread died): wake whoever waits for it. */
export function unblock(h: Host, path: string): void {
  h.blocked.delete(path);
  const w = h.blockedWaiters.get(path);
  h.blockedWaiters.delete(path);
  if (w) for (const f of w) f();
}
