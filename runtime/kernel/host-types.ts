// The types a Host shares with its parts: the messages between cells and between hosts, the
// links to other threads and nodes, and the options and snapshot of a Host.

import type { Cell, ChildRecord } from '../actor/cell.ts';
import type { Ref } from '../actor/ref.ts';
import type { RuntimeEvent } from '../inspection/events.ts';
import type { Logger, StopReason, SupervisorOptions } from '../actor/types.ts';

export interface HostSnapshot {
  thread: number;
  deadLetters: number;
  quiet: { spawn: number; stop: number };
  recentDeadLetters: { at: string; to: string; reason: string }[];
  cells: ReturnType<Cell['describe']>[];
}

/** Control messages between cells (never seen by behaviours). */
export type SysMsg =
  | { t: 'stop'; reason: StopReason }
  | { t: 'restart'; reason: string }
  | { t: 'failed'; name: string; reason: string; lost: boolean; data?: unknown }
  | { t: 'child-stopped'; name: string; path: string }
  | { t: 'watch'; path: string; thread: number }
  | { t: 'unwatch'; path: string }
  | { t: 'terminated'; path: string; thread: number; reason: StopReason }
  | { t: 'enable' }
  | { t: 'disable' };

/** Messages between hosts. */
export type HostMsg =
  | { t: 'spawn'; parent: { path: string; thread: number }; rec: Omit<ChildRecord, 'ref'> & { path: string; thread: number } }
  | { t: 'thread-died'; thread: number }
  | { t: 'events'; list: (RuntimeEvent & { at?: number })[] }
  | { t: 'over'; path: string }
  | { t: 'writable'; path: string }
  | { t: 'lookup'; id: number; path: string; from: number }
  | { t: 'lookup-result'; id: number; thread: number | null };


export interface Link {
  postMessage(batch: unknown[]): void;
}

/**
 * Node links (runtime/nodes), installed on the main thread of a system that is a node: mail and
 * system messages for node-qualified paths (`node:/path`, always placed on thread -1) go there.
 */
export interface RemoteRoute {
  /** Returns false when refused at once or held back (the link's backpressure). */
  mail(path: string, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number, fromThread: number): boolean;
  sys(path: string, sys: SysMsg): void;
  writable(path: string): Promise<void>;
  /** The answer to an ask forwarded from a peer (an id from `forwardedAskId`); ok 0: an error. */
  answer(askId: number, ok: number, value: unknown): void;
}

/** A node-qualified path (`b:/x`) rather than a local one (`/x`). */
export const isRemotePath = (path: string): boolean => path.charCodeAt(0) !== 47;

export interface PendingAsk {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  thread: number;
  path: string;
}

export interface HostOptions {
  thread: number;
  workers: number;
  logger: (path: string) => Logger;
  defaultSupervisor?: SupervisorOptions;
  /** Called with every event on this thread (main: the system bus; workers: forwarding). */
  onEvent?: (ev: RuntimeEvent) => void;
}
