// Handing a live handle (an accepted socket, a child process, a file descriptor wrapper) from
// one actor to another on the same thread. Handles cannot cross threads, and messages can only
// carry cloneable values, so the giver parks the handle here and sends the token; the receiver
// takes it. The kernel owns a parked handle: one nobody takes within its time to live is
// destroyed, so a receiver that died before taking it leaks nothing.

import { threadId } from 'node:worker_threads';

/** A cloneable ticket for one parked handle, valid on the thread that issued it. */
export type HandleToken = string;

interface Parked {
  handle: unknown;
  timer: NodeJS.Timeout;
}

const parked = new Map<HandleToken, Parked>();
let nextId = 1;

/** How long a parked handle waits for its receiver before it is destroyed. */
export const HANDLE_TTL_MS = 10_000;

/** Parks `handle` and returns its token. */
export function giveHandle(handle: unknown, ttlMs = HANDLE_TTL_MS): HandleToken {
  const token: HandleToken = `${threadId}:${nextId++}`;
  const timer = setTimeout(() => {
    parked.delete(token);
    disposeHandle(handle);
  }, ttlMs);
  timer.unref();
  parked.set(token, { handle, timer });
  return token;
}

/**
 * Takes the handle parked under `token`: undefined when it was already taken or expired.
 * Throws when the token comes from another thread (a placement mistake, not a race).
 */
export function takeHandle<T>(token: HandleToken): T | undefined {
  const p = parked.get(token);
  if (p === undefined) {
    const from = Number(token.slice(0, token.indexOf(':')));
    if (from !== threadId) throw new Error(`handle ${token} was given on thread ${from} and cannot be taken on thread ${threadId}: handles do not cross threads`);
    return undefined;
  }
  parked.delete(token);
  clearTimeout(p.timer);
  return p.handle as T;
}

/** Handles parked and not yet taken on this thread (inspection, tests). */
export function parkedHandles(): number {
  return parked.size;
}

/** Destroys whatever a handle is: a stream or socket (`destroy`), a server or endpoint (`close`), a child (`kill`). */
export function disposeHandle(handle: unknown): void {
  const h = handle as { destroy?: () => void; close?: () => void; kill?: () => void } | null;
  if (h === null || typeof h !== 'object') return;
  try {
    if (typeof h.destroy === 'function') h.destroy();
    else if (typeof h.close === 'function') h.close();
    else if (typeof h.kill === 'function') h.kill();
  } catch {
    /* already gone */
  }
}
