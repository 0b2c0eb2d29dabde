// State shared by one dispatcher's actors on its I/O thread (dispatcher.md §1.3: the acceptor,
// the groups and the connections of a dispatcher live on one thread because sockets cannot move
// between threads). The table and counters are written only from that thread, so there are no
// races (the original's defect 16). Kept per I/O actor path and reused across restarts of its
// children so that slot generations never repeat.

import type { InlineHandler } from './inline-runner.ts';
import type { Socket } from 'node:net';
import type { ActorContext, ActorRef, ActorSystem } from '../../runtime/index.ts';
import { protocolByName, type DispatchProtocol } from '../../protocols/dispatcher/index.ts';
import type { DispatcherConfig } from './config/index.ts';
import { ConnTable } from './table.ts';
import { dispatcherLogger, type DispatcherLogger } from './log.ts';
import { addressMatcher, type AddressMatcher } from './allow.ts';
import type { ConnMsg, Envelope, QueueMsg } from './messages.ts';

/** Thread-local handles of a live slot. */
export interface SlotExtra {
  socket: Socket;
  ref: ActorRef<ConnMsg> | null;
  /** The connection's state, copied into the row when the table is read (not per request). */
  core: { syncRow(): void } | null;
}

export interface Counters {
  accepted: number;
  denied: number;
  rejectedFull: number;
  evicted: number;
  frames: number;
  replies: number;
  echoReplies: number;
  malformed: number;
  framingErrors: number;
  /** Connections closed because a frame did not complete within FrameTimeoutMs of its first byte. */
  frameTimeouts: number;
  /** Handler replies over MaxFrameBytes, answered with WORKER_FAILED instead. */
  oversizeReplies: number;
  staleReplies: number;
  timeouts: number;
  busy: number;
  workerFailures: number;
  restarts: number;
  abandoned: number;
}

export function zeroCounters(): Counters {
  return {
    accepted: 0,
    denied: 0,
    rejectedFull: 0,
    evicted: 0,
    frames: 0,
    replies: 0,
    echoReplies: 0,
    malformed: 0,
    framingErrors: 0,
    frameTimeouts: 0,
    oversizeReplies: 0,
    staleReplies: 0,
    timeouts: 0,
    busy: 0,
    workerFailures: 0,
    restarts: 0,
    abandoned: 0,
  };
}

/** What the dispatcher is: fixed for one incarnation of its I/O actor. */
export interface IoSetup {
  readonly key: string;
  readonly cfg: DispatcherConfig;
  readonly protocol: DispatchProtocol;
  readonly log: DispatcherLogger;
  /** `Allow` (null: allow all) and `Trace` matchers. */
  readonly allow: AddressMatcher | null;
  readonly trace: AddressMatcher | null;
}

/** The live connections. */
export interface IoConns {
  table: ConnTable<SlotExtra>;
  /** Called when the last live connection closed (drain completion). */
  onEmpty: (() => void) | null;
}

/** What the dispatcher counts (carried across restarts and thread deaths) and its worker gauge. */
export interface IoStats {
  readonly counters: Counters;
  /** Created from nothing (first start, or the I/O thread died): the supervisor's carry applies. */
  readonly fresh: boolean;
  /** Workers that are up (gauge). */
  workers: number;
  /** Restarts counted by the supervisor, and hung handler instances replaced by their worker. */
  supervisedRestarts: number;
  replacements: number;
}

/** RequestQueue admission (§5.6). */
export interface IoAdmission {
  /** Envelopes reserved by connections and not yet given to a worker. */
  queueDepth: number;
  /** Connections paused because the queue was full, woken when it has room. */
  readonly queueWaiters: Set<ActorRef<ConnMsg>>;
  queue: ActorRef<QueueMsg> | null;
  /** Envelopes of this loop iteration, sent to the queue in one message (see `enqueue`). */
  enq: Envelope[];
  enqScheduled: boolean;
  /** The handler when it is placed inline (on this I/O thread); null: requests go to the queue. */
  inline: InlineHandler | null;
}

export interface IoPhase {
  draining: boolean;
  listening: boolean;
  /** The handlers are up: accepted connections are served. Until then the acceptor holds them (§7.1). */
  serving: boolean;
}

/**
 * One dispatcher's state on its I/O thread. Each actor names the views it uses (IoSetup,
 * IoConns, IoStats, IoAdmission, IoPhase); the I/O actor that owns it, and inspection, see it all.
 */
export interface IoShared extends IoSetup, IoConns, IoStats, IoAdmission, IoPhase {}

/** Where one dispatcher's state lives on its I/O thread: renewed by each I/O actor incarnation. */
interface IoHome {
  s: IoShared | null;
}

const homeKey = (io: string): string => `dispatcher:${io}`;

/**
 * Creates (or, after a restart of the I/O actor, renews) the shared state of one dispatcher. The
 * state is thread-local to the I/O actor and its subtree and goes when the last of them stops.
 */
export function openShared(ctx: ActorContext<unknown>, cfg: DispatcherConfig): IoShared {
  const home = ctx.threadLocal<IoHome>(homeKey(ctx.path), () => ({ s: null }));
  const prev = home.s;
  const s: IoShared = {
    key: ctx.path,
    cfg,
    protocol: protocolByName(cfg.Protocol),
    table: new ConnTable<SlotExtra>(cfg.MaxConnections, cfg.NumThreads, prev?.table.generations()),
    counters: prev?.counters ?? zeroCounters(),
    fresh: prev === null,
    log: dispatcherLogger(cfg.Name, cfg.LogLevel, ctx.path),
    allow: cfg.Allow === null ? null : addressMatcher(cfg.Allow),
    trace: cfg.Trace.length > 0 ? addressMatcher(cfg.Trace) : null,
    queueDepth: 0,
    queueWaiters: new Set(),
    queue: null,
    enq: [],
    enqScheduled: false,
    workers: 0,
    supervisedRestarts: prev?.supervisedRestarts ?? 0,
    replacements: prev?.replacements ?? 0,
    draining: false,
    listening: false,
    serving: false,
    onEmpty: null,
    inline: null,
  };
  home.s = s;
  return s;
}

/** The state of the dispatcher whose I/O actor is at `io` (an actor of its subtree, same thread). */
export function shared(ctx: ActorContext<any>, io: string): IoShared {
  const s = ctx.threadLocal<IoHome>(homeKey(io), () => ({ s: null })).s;
  if (s === null) throw new Error(`dispatcher state ${io} is not open on this thread`);
  return s;
}

/** The state of a dispatcher whose I/O subtree runs on the main thread (tests). */
export function sharedOnMain(system: ActorSystem, io: string): IoShared | undefined {
  return system.threadLocal<IoHome>(homeKey(io))?.s ?? undefined;
}

/**
 * Hands an envelope to the RequestQueue. The envelopes of every socket read in one event-loop
 * iteration travel in one `enq` message, sent after the poll phase (one queue turn and one batch
 * to the workers per iteration instead of one per socket read).
 */
export function enqueue(s: IoAdmission, e: Envelope): void {
  s.enq.push(e);
  if (!s.enqScheduled) {
    s.enqScheduled = true;
    setImmediate(flushEnqueued, s);
  }
}

function flushEnqueued(s: IoAdmission): void {
  s.enqScheduled = false;
  const items = s.enq;
  if (items.length === 0) return;
  s.enq = [];
  if (s.queue === null) return;
  s.queue.tell({ t: 'enq', items });
}

/** Frees a slot and fires `onEmpty` when the table becomes empty. */
export function freeSlot(s: IoConns, slot: number, gen: number): boolean {
  if (!s.table.free(slot, gen)) return false;
  if (s.table.liveCount === 0) s.onEmpty?.();
  return true;
}
