// State shared by one dispatcher's actors on its I/O thread (dispatcher.md §1.3: the acceptor,
// the groups and the connections of a dispatcher live on one thread because sockets cannot move
// between threads). The table and counters are written only from that thread, so there are no
// races (the original's defect 16). Kept per I/O actor path and reused across restarts of its
// children so that slot generations never repeat.

import type { InlineHandler } from './inline-runner.ts';
import type { Socket } from 'node:net';
import type { ActorRef } from '../../runtime/index.ts';
import { protocolByName, type DispatchProtocol } from '../../protocols/dispatcher/index.ts';
import type { DispatcherConfig } from './config.ts';
import { ConnTable } from './table.ts';
import { dispatcherLogger, type DispatcherLogger } from './log.ts';
import { addressMatcher, type AddressMatcher } from './allow.ts';
import type { ConnMsg, Envelope, QueueMsg } from './messages.ts';

/** Thread-local handles of a live slot. */
export interface SlotExtra {
  socket: Socket;
  ref: ActorRef<ConnMsg> | null;
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
    staleReplies: 0,
    timeouts: 0,
    busy: 0,
    workerFailures: 0,
    restarts: 0,
    abandoned: 0,
  };
}

export interface IoShared {
  readonly key: string;
  readonly cfg: DispatcherConfig;
  readonly protocol: DispatchProtocol;
  table: ConnTable<SlotExtra>;
  readonly counters: Counters;
  /** Created from nothing (first start, or the I/O thread died): the supervisor's carry applies. */
  readonly fresh: boolean;
  readonly log: DispatcherLogger;
  /** `Allow` (null: allow all) and `Trace` matchers. */
  readonly allow: AddressMatcher | null;
  readonly trace: AddressMatcher | null;
  /** RequestQueue admission (§5.6): envelopes reserved by connections and not yet given to a worker. */
  queueDepth: number;
  /** Connections paused because the queue was full, woken when it has room. */
  readonly queueWaiters: Set<ActorRef<ConnMsg>>;
  queue: ActorRef<QueueMsg> | null;
  /** Envelopes of this loop iteration, sent to the queue in one message (see `enqueue`). */
  enq: Envelope[];
  enqScheduled: boolean;
  /** Workers that are up (gauge). */
  workers: number;
  /** Restarts counted by the supervisor, and hung handler instances replaced by their worker. */
  supervisedRestarts: number;
  replacements: number;
  draining: boolean;
  listening: boolean;
  /** Called when the last live connection closed (drain completion). */
  onEmpty: (() => void) | null;
  /** The handler when it is placed inline (on this I/O thread); null: requests go to the queue. */
  inline: InlineHandler | null;
}

const registry = new Map<string, IoShared>();

/** Creates (or, after a restart of the I/O actor, renews) the shared state of one dispatcher. */
export function openShared(key: string, cfg: DispatcherConfig): IoShared {
  const prev = registry.get(key);
  const s: IoShared = {
    key,
    cfg,
    protocol: protocolByName(cfg.Protocol),
    table: new ConnTable<SlotExtra>(cfg.MaxConnections, cfg.NumThreads, prev?.table.generations()),
    counters: prev?.counters ?? zeroCounters(),
    fresh: prev === undefined,
    log: dispatcherLogger(cfg.Name, cfg.LogLevel, key),
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
    onEmpty: null,
    inline: null,
  };
  registry.set(key, s);
  return s;
}

export function shared(key: string): IoShared {
  const s = registry.get(key);
  if (!s) throw new Error(`dispatcher state ${key} is not open on this thread`);
  return s;
}

export function closeShared(key: string): void {
  registry.delete(key);
}

/**
 * Hands an envelope to the RequestQueue. The envelopes of every socket read in one event-loop
 * iteration travel in one `enq` message, sent after the poll phase (one queue turn and one batch
 * to the workers per iteration instead of one per socket read).
 */
export function enqueue(s: IoShared, e: Envelope): void {
  s.enq.push(e);
  if (!s.enqScheduled) {
    s.enqScheduled = true;
    setImmediate(flushEnqueued, s);
  }
}

function flushEnqueued(s: IoShared): void {
  s.enqScheduled = false;
  const items = s.enq;
  if (items.length === 0) return;
  s.enq = [];
  if (s.queue === null) return;
  s.queue.tell({ t: 'enq', items });
}

/** Frees a slot and fires `onEmpty` when the table becomes empty. */
export function freeSlot(s: IoShared, slot: number, gen: number): boolean {
  if (!s.table.free(slot, gen)) return false;
  if (s.table.liveCount === 0) s.onEmpty?.();
  return true;
}
