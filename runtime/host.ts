// The runtime of one thread: its actor cells, the scheduler that drains their mailboxes, routing
// of mail to other threads in per-turn batches, asks, death watch and dead letters. Every thread
// (main and each worker) runs exactly one Host per system.

import { Cell, type ChildRecord } from './cell.ts';
import { Mailbox } from './mailbox.ts';
import { newSlot } from './queue.ts';
import { UnbornMail, type HeldItem } from './unborn.ts';
import { Deadlines } from './deadlines.ts';
import { DeadLetters } from './dead-letters.ts';
import { StatsReporter } from './stats.ts';
import { Outbox, FLUSH_AT, K_HOST, K_JRUN, K_MAIL, K_REPLY, K_RUN, K_SYS } from './outbox.ts';
import { CELL, Ref, isPlainRef, type RefHost } from './ref.ts';
import { findDef, loadDef, defineActor, type ActorDef } from './behavior.ts';
import { actorDead, askTimeout, describeError, mailboxFull, remoteFailure, threadDied, ActorError } from './errors.ts';
import type { RuntimeEvent } from './events.ts';
import type { ActorRef, AskOptions, Logger, Placement, StopReason, SupervisorOptions } from './types.ts';
import { decodeColumns, isColumns } from './columns.ts';

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


const MAIL_BUDGET_PER_CELL = 512;
const TURN_BUDGET = 32_768;

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
}

/** A node-qualified path (`b:/x`) rather than a local one (`/x`). */
export const isRemotePath = (path: string): boolean => path.charCodeAt(0) !== 47;

interface PendingAsk {
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

const Root = defineActor<never>(import.meta.url, 'Root', () => ({ receive() {} }));

export class Host implements RefHost {
  readonly thread: number;
  readonly workers: number;
  readonly cells = new Map<string, Cell>();
  readonly defaultSupervisor: SupervisorOptions | undefined;
  readonly logger: (path: string) => Logger;
  readonly links = new Map<number, Link>();
  /** Lifecycle of `quiet` actors: counted here instead of announced as events. */
  readonly quietCounts = { spawn: 0, stop: 0 };
  private dead: DeadLetters;
  /** Placement overrides by actor path, from the topology. */
  placement: Record<string, Placement> | undefined;
  private stats = new StatsReporter();
  /** Main thread only: path -> thread of every live actor, for lookups. */
  registry: Map<string, number> | null = null;
  /** Round-robin cursor for `any` placement. */
  private nextAny = 0;
  private onEvent: ((ev: RuntimeEvent) => void) | undefined;
  private runQueue = new Mailbox(Infinity, 'backpressure');
  private turnScheduled = false;
  private flushScheduled = false;
  /** Outboxes indexed by thread + 1 (main is -1). */
  private outboxes: (Outbox | undefined)[] = [];
  private pending = new Map<number, PendingAsk>();
  private deadlines = new Deadlines(
    (id) => this.pending.has(id),
    (id, ms) => {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      p.reject(askTimeout(p.path, ms));
    },
  );
  private askSeq = 1;
  private lookupSeq = 1;
  private lookups = new Map<number, (thread: number | null) => void>();
  private refs = new Map<string, Ref<any>>();
  /** Remote targets watched by local cells, to report thread death. */
  private remoteWatches = new Map<string, Set<Cell>>();
  /** Paths on other threads that told us to hold back (backpressure). */
  private blocked = new Set<string>();
  private blockedWaiters = new Map<string, (() => void)[]>();
  private slot = newSlot();
  private unborn = new UnbornMail((path, items, why) => this.expireHeld(path, items, why));
  private current: Cell | null = null;
  private readonly turnFn = (): void => this.turn();
  private readonly flushFn = (): void => this.flush();
  private log: Logger;
  root: Cell | null = null;
  /** Set on the main thread when this system is a runtime node (see RemoteRoute). */
  remote: RemoteRoute | null = null;

  constructor(o: HostOptions) {
    this.thread = o.thread;
    this.workers = o.workers;
    this.logger = o.logger;
    this.defaultSupervisor = o.defaultSupervisor;
    this.onEvent = o.onEvent;
    this.log = o.logger(`/@thread${o.thread}`);
    this.dead = new DeadLetters(this.log);
  }

  /** Main thread: creates the root guardian `/`. */
  createRoot(supervisor?: SupervisorOptions): Cell {
    const cell = new Cell(this, '/', null, Root, undefined, { name: '/', supervisor });
    this.cells.set('/', cell);
    this.root = cell;
    cell.instantiate();
    return cell;
  }

  emit(ev: RuntimeEvent): void {
    this.onEvent?.(ev);
  }

  // ---- refs and placement -----------------------------------------------------------------

  refFor<T>(path: string, thread: number, json = false): Ref<T> {
    let r = this.refs.get(path);
    if (r === undefined || r.thread !== thread) {
      // Refs are values: the cache only saves allocations, so it is bounded by clearing it.
      if (this.refs.size >= 65_536) this.refs.clear();
      r = new Ref<T>(this, path, thread, json);
      this.refs.set(path, r);
    } else if (json) r.json = 1;
    return r;
  }

  /** Thread for a new actor: the topology's placement for its path wins over the spawn option. */
  place(p: Placement | undefined, parentThread: number, path = ''): number {
    const fixed = this.placement?.[path];
    if (fixed !== undefined) p = fixed;
    if (p === undefined) return parentThread;
    if (p === 'main') return -1;
    if (this.workers === 0) return -1;
    if (p === 'any') return this.nextAny++ % this.workers;
    if (!Number.isInteger(p) || p < 0) throw new Error(`invalid thread placement ${p}`);
    return p % this.workers;
  }

  // ---- spawning ---------------------------------------------------------------------------

  spawnChild(parent: Ref<unknown>, rec: ChildRecord): void {
    // The main thread's registry learns of remote spawns by event; a spawn made here is known now.
    if (this.registry && !rec.options.quiet) this.registry.set(rec.ref.path, rec.ref.thread);
    if (rec.ref.thread === this.thread) {
      this.createCell(parent, rec.ref.path, rec.module, rec.defName, rec.props, rec.options);
      return;
    }
    const { ref, ...rest } = rec;
    this.postHost(rec.ref.thread, {
      t: 'spawn',
      parent: { path: parent.path, thread: parent.thread },
      rec: { ...rest, path: ref.path, thread: ref.thread },
    });
  }

  private createCell(parent: Ref<unknown>, path: string, module: string, defName: string, props: unknown, options: ChildRecord['options']): void {
    const stale = this.cells.get(path);
    if (stale) {
      // A respawn raced the stop of the previous incarnation: the old one is discarded.
      this.cells.delete(path);
      stale.state = 'dead';
    }
    const def = findDef(`${module}#${defName}`);
    if (def) {
      this.startCell(parent, path, def, props, options);
      return;
    }
    // Unknown here yet: load the module, holding mail for the path meanwhile in a placeholder.
    const holder = new Cell(this, path, parent, Root, undefined, { ...options, disabled: true, mailbox: { capacity: Infinity } });
    // Never run: system messages (watch, enable, stop...) wait with the mail for the real cell.
    holder.scheduled = true;
    this.cells.set(path, holder);
    this.releaseHeld(holder);
    loadDef(module, defName).then(
      (d) => {
        if (this.cells.get(path) !== holder) return;
        this.cells.delete(path);
        const cell = this.startCell(parent, path, d, props, options);
        holder.mailbox.forEach((m, f, a, prio) => this.deliverLocal(cell, m, f as Ref<unknown> | null, a, prio, -2));
        for (const s of holder.sys) cell.sys.push(s);
        this.schedule(cell);
      },
      (err) => {
        const why = describeError(err);
        this.log.error('cannot load actor definition', { path, module, name: defName, error: why });
        this.cells.delete(path);
        holder.mailbox.forEach((_m, _f, a) => {
          if (a) this.replyError(a, actorDead(path, `cannot load its definition: ${why}`));
        });
        if (holder.mailbox.size) this.countDeadLetters(path, holder.mailbox.size, 'definition not loaded');
        for (const s of holder.sys) this.sysToMissing(path, s);
        this.sendSys(parent, { t: 'failed', name: holder.name, reason: why, lost: true });
      },
    );
  }

  private startCell(parent: Ref<unknown>, path: string, def: ActorDef<any, any>, props: unknown, options: ChildRecord['options']): Cell {
    const cell = new Cell(this, path, parent, def, props, options);
    this.cells.set(path, cell);
    if (options.quiet) this.quietCounts.spawn++;
    else this.emit({ type: 'spawn', path, thread: this.thread, kind: def.name, parent: parent.path });
    const re = options.respawn;
    if (re) this.emit({ type: 'restart', path, thread: this.thread, reason: re.reason, restarts: re.restarts });
    cell.instantiate();
    this.releaseHeld(cell);
    return cell;
  }

  removeCell(cell: Cell): void {
    if (this.cells.get(cell.path) === cell) {
      this.cells.delete(cell.path);
      this.unborn.stopped(cell.path);
    }
    const r = this.refs.get(cell.path);
    if (r && r[CELL] === cell) {
      r[CELL] = undefined;
      this.refs.delete(cell.path);
    }
    const bw = this.blockedWaiters.get(cell.path);
    if (bw) {
      this.blockedWaiters.delete(cell.path);
      for (const f of bw) f();
    }
  }

  // ---- sending ----------------------------------------------------------------------------

  tell(ref: Ref<any>, message: unknown, priority: number): boolean {
    if (ref.thread === this.thread) {
      const cell = this.localCell(ref);
      const c = this.current;
      if (cell === undefined) return this.holdMail(ref.path, message, c === null ? null : c.self, 0, priority, -2);
      return this.deliverLocal(cell, message, c === null ? null : c.self, 0, priority, -2);
    }
    const c = this.current;
    const box = this.outbox(ref.thread);
    if (priority === 0) {
      if (ref.json === 1) box.tellJson(ref.path, message, c === null ? null : c.path, this.thread);
      else box.tell(ref.path, message, c === null ? null : c.path, this.thread);
    } else box.mail(ref.path, message, c === null ? null : c.path, this.thread, 0, priority);
    this.afterPush(ref.thread, box);
    return !this.blocked.has(ref.path);
  }

  ask<R>(ref: Ref<any>, message: unknown, options: AskOptions | undefined): Promise<R> {
    const timeoutMs = options?.timeoutMs ?? 5000;
    const id = this.askSeq++ * 128 + (this.thread + 2);
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, thread: ref.thread, path: ref.path });
      this.deadlines.add(id, timeoutMs);
      const c = this.current;
      const prio = options?.priority ?? 0;
      if (ref.thread === this.thread) {
        const cell = this.localCell(ref);
        if (cell === undefined) this.holdMail(ref.path, message, c === null ? null : c.self, id, prio, -2);
        else this.deliverLocal(cell, message, c === null ? null : c.self, id, prio, -2);
      } else {
        const box = this.outbox(ref.thread);
        box.mail(ref.path, message, c === null ? null : c.path, this.thread, id, prio);
        this.afterPush(ref.thread, box);
      }
    });
  }

  writable(ref: Ref<any>): Promise<void> {
    if (this.remote !== null && isRemotePath(ref.path)) return this.remote.writable(ref.path);
    if (ref.thread === this.thread) {
      const cell = this.localCell(ref);
      if (!cell || cell.mailbox.size < cell.mailbox.capacity) return Promise.resolve();
      return new Promise((res) => (cell.writableWaiters ??= []).push(res));
    }
    if (!this.blocked.has(ref.path)) return Promise.resolve();
    return new Promise((res) => {
      const list = this.blockedWaiters.get(ref.path) ?? [];
      list.push(res);
      this.blockedWaiters.set(ref.path, list);
    });
  }

  private localCell(ref: Ref<any>): Cell | undefined {
    let cell = ref[CELL] as Cell | undefined;
    if (cell === undefined || cell.state === 'dead') {
      cell = this.cells.get(ref.path);
      ref[CELL] = cell;
    }
    return cell;
  }

  /**
   * Puts mail in a local mailbox per its overflow policy. `fromThread` is the remote sender's
   * thread for cross-thread mail (to tell it about backpressure), -2 for local senders.
   */
  deliverLocal(cell: Cell, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number, fromThread: number): boolean {
    if (cell.state === 'dead' || cell.state === 'stopping') {
      this.countDeadLetters(cell.path, 1, 'stopping');
      if (askId) this.replyError(askId, actorDead(cell.path, 'stopping'));
      return false;
    }
    const mb = cell.mailbox;
    const r = mb.offer(msg, from, askId, priority);
    if (r === 'ok') {
      if (!cell.scheduled) this.schedule(cell);
      return true;
    }
    switch (r) {
      case 'over':
        if (!cell.scheduled) this.schedule(cell);
        if (fromThread !== -2) {
          (cell.overThreads ??= new Set()).add(fromThread);
          this.postHost(fromThread, { t: 'over', path: cell.path });
        }
        return false;
      case 'dropped-oldest': {
        const ev = mb.evicted;
        this.countDeadLetters(cell.path, 1, 'dropped-oldest');
        if (ev.askId) this.replyError(ev.askId, mailboxFull(cell.path, mb.capacity));
        ev.msg = ev.from = undefined;
        if (!cell.scheduled) this.schedule(cell);
        return true;
      }
      default:
        this.countDeadLetters(cell.path, 1, r === 'rejected' ? 'mailbox-full' : 'dropped-newest');
        if (askId) this.replyError(askId, mailboxFull(cell.path, mb.capacity));
        return false;
    }
  }

  sendSys(ref: ActorRef<unknown>, sys: SysMsg): void {
    if (ref.thread === this.thread) {
      if (this.remote !== null && isRemotePath(ref.path)) return this.remote.sys(ref.path, sys);
      const cell = this.cells.get(ref.path);
      if (cell) {
        cell.sys.push(sys);
        this.schedule(cell);
      } else if (!this.unborn.hold(ref.path, { sys })) this.sysToMissing(ref.path, sys);
      return;
    }
    this.pushRecord(ref.thread, K_SYS, ref.path, sys);
  }

  /** Mail for a path with no actor (yet): held for the spawn that may be on its way. */
  private holdMail(path: string, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number, fromThread: number): boolean {
    if (this.remote !== null && isRemotePath(path)) return this.remote.mail(path, msg, from, askId, priority, fromThread);
    if (this.unborn.hold(path, { sys: null, msg, from, askId, priority, fromThread })) return true;
    this.countDeadLetters(path, 1, 'no such actor');
    if (askId) this.replyError(askId, actorDead(path, 'no such actor'));
    return false;
  }

  private releaseHeld(cell: Cell): void {
    const items = this.unborn.take(cell.path);
    if (!items) return;
    for (const it of items) {
      if (it.sys === null) this.deliverLocal(cell, it.msg, it.from, it.askId, it.priority, it.fromThread);
      else {
        cell.sys.push(it.sys);
        this.schedule(cell);
      }
    }
  }

  private expireHeld(path: string, items: HeldItem[], why: string): void {
    let mail = 0;
    for (const it of items) {
      if (it.sys !== null) this.sysToMissing(path, it.sys);
      else {
        mail++;
        if (it.askId) this.replyError(it.askId, actorDead(path, why));
      }
    }
    if (mail) this.countDeadLetters(path, mail, why);
  }

  private sysToMissing(path: string, sys: SysMsg): void {
    if (sys.t === 'watch') {
      this.sendSys(this.refFor(sys.path, sys.thread), { t: 'terminated', path, thread: this.thread, reason: { error: 'no such actor' } });
    }
  }

  replyOk(askId: number, value: unknown): void {
    this.routeReply(askId, 1, value);
  }

  replyError(askId: number, error: unknown): void {
    const e = error instanceof ActorError ? { code: error.code, path: error.path, message: error.message, data: error.data } : { code: 'remote-error', path: '', message: describeError(error) };
    this.routeReply(askId, 0, e);
  }

  private routeReply(askId: number, ok: number, value: unknown): void {
    const thread = (askId % 128) - 2;
    if (thread === this.thread) this.settle(askId, ok, value);
    else this.pushRecord(thread, K_REPLY, askId, ok, value);
  }

  private settle(askId: number, ok: number, value: unknown): void {
    const p = this.pending.get(askId);
    if (!p) return;
    this.pending.delete(askId);
    if (ok) p.resolve(value);
    else {
      const e = value as { code: string; path: string; message: string; data?: unknown };
      p.reject(e.code === 'remote-error' ? remoteFailure(p.path, e.message) : new ActorError(e.code, e.path || p.path, e.message, e.data));
    }
  }

  countDeadLetters(path: string, n: number, why: string): void {
    this.dead.count(path, n, why);
    this.emit({ type: 'dead-letter', path, thread: this.thread, count: n, reason: why });
  }

  // ---- watch ------------------------------------------------------------------------------

  watch(cell: Cell, ref: ActorRef<unknown>): void {
    if (ref.thread !== this.thread) {
      let s = this.remoteWatches.get(ref.path);
      if (!s) this.remoteWatches.set(ref.path, (s = new Set()));
      s.add(cell);
    }
    this.sendSys(ref, { t: 'watch', path: cell.path, thread: cell.thread });
  }

  unwatch(cell: Cell, ref: ActorRef<unknown>): void {
    this.remoteWatches.get(ref.path)?.delete(cell);
    this.sendSys(ref, { t: 'unwatch', path: cell.path });
  }

  // ---- scheduling -------------------------------------------------------------------------

  schedule(cell: Cell): void {
    if (cell.scheduled) return;
    cell.scheduled = true;
    this.runQueue.offer(cell, null, 0, cell.priority);
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      queueMicrotask(this.turnFn);
    }
  }

  private turn(): void {
    this.turnScheduled = false;
    let budget = TURN_BUDGET;
    const rq = this.runQueue;
    const slot = this.slot;
    while (budget > 0 && rq.shift(slot)) {
      const cell = slot.msg as Cell;
      cell.scheduled = false;
      budget -= this.runCell(cell);
      if (cell.state !== 'dead' && (cell.sys.length > 0 || (cell.mailbox.size > 0 && cell.state === 'running' && !cell.disabled && !cell.awaiting))) {
        this.schedule(cell);
      }
    }
    slot.msg = undefined;
    if (rq.size > 0 && !this.turnScheduled) {
      // Yield to I/O between turns.
      this.turnScheduled = true;
      setImmediate(this.turnFn);
    }
  }

  private runCell(cell: Cell): number {
    while (cell.sys.length > 0) this.handleSys(cell, cell.sys.shift()!);
    if (cell.state !== 'running' || cell.disabled || cell.awaiting) return 1;
    const mb = cell.mailbox;
    const beh = cell.behavior!;
    const slot = this.slot;
    const prev = this.current;
    this.current = cell;
    let n = 0;
    while (n < MAIL_BUDGET_PER_CELL && mb.shift(slot)) {
      n++;
      cell.curFrom = slot.from as Ref<unknown> | null;
      const askId = slot.askId;
      cell.curAsk = askId;
      try {
        const r = beh.receive(slot.msg, cell) as unknown;
        if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
          this.awaitResult(cell, r as Promise<void>);
          break;
        }
      } catch (err) {
        cell.crash(err);
        break;
      }
      if (cell.curAsk !== 0) {
        cell.openAsks.add(cell.curAsk);
        cell.curAsk = 0;
      }
      if (cell.state !== 'running' || cell.disabled) break;
    }
    slot.msg = slot.from = undefined;
    if (!cell.awaiting) {
      cell.curAsk = 0;
      cell.curFrom = null;
    }
    this.current = prev;
    cell.processed += n;
    if ((cell.overThreads !== null || cell.writableWaiters !== null) && mb.size <= mb.capacity / 2) this.notifyWritable(cell);
    return n + 1;
  }

  /** An async handler holds the mailbox until it settles; a rejection is a crash. */
  awaitResult(cell: Cell, p: Promise<void>): void {
    cell.awaiting = true;
    const askId = cell.curAsk;
    const incarnation = cell.behavior;
    p.then(
      () => {
        if (cell.behavior !== incarnation) return; // restarted or stopped meanwhile: stale
        cell.awaiting = false;
        if (cell.curAsk !== 0 && cell.curAsk === askId) cell.openAsks.add(askId);
        cell.curAsk = 0;
        cell.curFrom = null;
        this.schedule(cell);
      },
      (err) => {
        if (cell.behavior !== incarnation) return;
        cell.awaiting = false;
        cell.crash(err);
        cell.curAsk = 0;
        cell.curFrom = null;
      },
    );
  }

  private notifyWritable(cell: Cell): void {
    const threads = cell.overThreads;
    cell.overThreads = null;
    if (threads) for (const t of threads) this.postHost(t, { t: 'writable', path: cell.path });
    cell.releaseWaiters();
  }

  private handleSys(cell: Cell, s: SysMsg): void {
    switch (s.t) {
      case 'stop':
        cell.stop(s.reason);
        break;
      case 'restart':
        cell.restart(s.reason);
        break;
      case 'failed':
        cell.onChildFailed(s.name, s.reason, s.lost ? new Set([s.name]) : undefined, s.data);
        break;
      case 'child-stopped':
        cell.onChildStopped(s.name, s.path);
        break;
      case 'watch':
        if (cell.state === 'dead') this.sysToMissing(cell.path, s);
        else cell.watchers.set(s.path, this.refFor(s.path, s.thread));
        break;
      case 'unwatch':
        cell.watchers.delete(s.path);
        break;
      case 'terminated': {
        this.remoteWatches.get(s.path)?.delete(cell);
        const b = cell.behavior;
        if (b?.terminated && cell.state === 'running') {
          try {
            b.terminated({ ref: this.refFor(s.path, s.thread), reason: s.reason }, cell);
          } catch (err) {
            cell.crash(err);
          }
        }
        break;
      }
      case 'enable':
        cell.disabled = false;
        break;
      case 'disable':
        cell.disabled = true;
        break;
    }
  }

  // ---- cross-thread transport ---------------------------------------------------------------

  private outbox(thread: number): Outbox {
    let box = this.outboxes[thread + 1];
    if (box === undefined) this.outboxes[thread + 1] = box = new Outbox();
    return box;
  }

  private afterPush(thread: number, box: Outbox): void {
    if (box.size >= FLUSH_AT) this.flushOne(thread, box);
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushFn);
    }
  }

  private pushRecord(thread: number, kind: number, a: unknown, b?: unknown, c?: unknown): void {
    const box = this.outbox(thread);
    box.record(kind, a, b, c);
    this.afterPush(thread, box);
  }

  postHost(thread: number, msg: HostMsg): void {
    this.pushRecord(thread, K_HOST, msg);
  }

  flush(): void {
    this.flushScheduled = false;
    const boxes = this.outboxes;
    for (let i = 0; i < boxes.length; i++) {
      const box = boxes[i];
      if (box !== undefined && box.size > 0) this.flushOne(i - 1, box);
    }
  }

  private flushOne(thread: number, box: Outbox): void {
    const batch = box.take();
    const link = this.links.get(thread);
    if (!link) {
      this.log.warn('no link to thread; mail dropped', { thread, records: batch.length });
      this.failBatch(batch, `no link to thread ${thread}`);
      return;
    }
    try {
      link.postMessage(batch);
    } catch (err) {
      // An uncloneable message: fail the whole batch loudly rather than silently.
      this.log.error('cannot send batch to thread', { thread, error: describeError(err) });
      this.failBatch(batch, describeError(err));
    }
  }

  private failBatch(box: unknown[], why: string): void {
    for (let i = 0; i < box.length; ) {
      const k = box[i] as number;
      if (k === K_MAIL) {
        const askId = box[i + 5] as number;
        this.countDeadLetters(box[i + 1] as string, 1, `unsendable: ${why}`);
        if (askId) this.replyError(askId, new ActorError('unsendable', box[i + 1] as string, `message to ${box[i + 1]} cannot cross threads: ${why}`));
        i += 7;
      } else if (k === K_JRUN) {
        const run = box[i + 4];
        const n = isColumns(run) ? run.n : typeof run === 'string' ? (JSON.parse(run) as unknown[]).length : (run as unknown[]).length;
        this.countDeadLetters(box[i + 1] as string, n, `unsendable: ${why}`);
        i += 6;
      } else if (k === K_RUN) {
        const run = box[i + 4];
        this.countDeadLetters(box[i + 1] as string, isColumns(run) ? run.n : (run as unknown[]).length, `unsendable: ${why}`);
        i += 5;
      } else i += k === K_REPLY ? 4 : k === K_SYS ? 3 : 2;
    }
  }

  /** Entry for a batch that arrived from another thread. */
  receiveBatch(b: unknown[]): void {
    for (let i = 0; i < b.length; ) {
      switch (b[i] as number) {
        case K_MAIL: {
          const to = b[i + 1] as string;
          const msg = b[i + 2];
          const fromPath = b[i + 3] as string | null;
          const fromThread = b[i + 4] as number;
          const askId = b[i + 5] as number;
          const prio = b[i + 6] as number;
          i += 7;
          const cell = this.cells.get(to);
          if (msg !== null && typeof msg === 'object') this.rehydrate(msg as Record<string, unknown>);
          const from = fromPath === null ? null : this.refFor(fromPath, fromThread);
          if (cell === undefined) this.holdMail(to, msg, from, askId, prio, fromThread);
          else this.deliverLocal(cell, msg, from, askId, prio, fromThread);
          break;
        }
        case K_RUN: {
          const to = b[i + 1] as string;
          const fromPath = b[i + 2] as string | null;
          const fromThread = b[i + 3] as number;
          const body = b[i + 4];
          const columns = isColumns(body);
          const list = (columns ? decodeColumns(body) : body) as unknown[];
          i += 5;
          const cell = this.cells.get(to);
          const from = fromPath === null ? null : this.refFor(fromPath, fromThread);
          for (let j = 0; j < list.length; j++) {
            const msg = list[j];
            if (!columns && msg !== null && typeof msg === 'object') this.rehydrate(msg as Record<string, unknown>);
            if (cell === undefined) this.holdMail(to, msg, from, 0, 0, fromThread);
            else this.deliverLocal(cell, msg, from, 0, 0, fromThread);
          }
          break;
        }
        case K_JRUN: {
          const to = b[i + 1] as string;
          const fromPath = b[i + 2] as string | null;
          const fromThread = b[i + 3] as number;
          const body = b[i + 4];
          const list = (typeof body === 'string' ? JSON.parse(body) : isColumns(body) ? decodeColumns(body) : body) as unknown[];
          const hasRefs = b[i + 5] === 1;
          i += 6;
          const cell = this.cells.get(to);
          const from = fromPath === null ? null : this.refFor(fromPath, fromThread);
          for (let j = 0; j < list.length; j++) {
            const msg = list[j];
            if (hasRefs && msg !== null && typeof msg === 'object') this.rehydrate(msg as Record<string, unknown>);
            if (cell === undefined) this.holdMail(to, msg, from, 0, 0, fromThread);
            else this.deliverLocal(cell, msg, from, 0, 0, fromThread);
          }
          break;
        }
        case K_REPLY:
          this.settle(b[i + 1] as number, b[i + 2] as number, b[i + 3]);
          i += 4;
          break;
        case K_SYS: {
          const s = b[i + 2] as SysMsg;
          this.sendSys({ path: b[i + 1] as string, thread: this.thread } as ActorRef<unknown>, s);
          i += 3;
          break;
        }
        case K_HOST:
          this.handleHost(b[i + 1] as HostMsg);
          i += 2;
          break;
        default:
          throw new Error(`corrupt cross-thread batch: record kind ${String(b[i])} at ${i}`);
      }
    }
  }

  /** Refs inside a message arrive as plain objects: turn top-level ones back into live refs. */
  private rehydrate(msg: Record<string, unknown>): void {
    if (ArrayBuffer.isView(msg)) return;
    for (const k in msg) {
      const v = msg[k];
      if (isPlainRef(v)) msg[k] = this.refFor(v.path, v.thread, v.json === 1);
    }
  }

  protected handleHost(m: HostMsg): void {
    switch (m.t) {
      case 'spawn': {
        const parent = this.refFor(m.parent.path, m.parent.thread);
        const props = m.rec.props;
        if (props !== null && typeof props === 'object') this.rehydrate(props as Record<string, unknown>);
        this.createCell(parent, m.rec.path, m.rec.module, m.rec.defName, m.rec.props, m.rec.options);
        break;
      }
      case 'thread-died':
        this.onThreadDied(m.thread);
        break;
      case 'events':
        for (const ev of m.list) this.emit(ev);
        break;
      case 'over':
        this.blocked.add(m.path);
        break;
      case 'writable': {
        this.blocked.delete(m.path);
        const w = this.blockedWaiters.get(m.path);
        this.blockedWaiters.delete(m.path);
        if (w) for (const f of w) f();
        break;
      }
      case 'lookup': {
        const thread = this.registry?.get(m.path) ?? (this.cells.has(m.path) ? this.thread : null);
        this.postHost(m.from, { t: 'lookup-result', id: m.id, thread });
        break;
      }
      case 'lookup-result': {
        const f = this.lookups.get(m.id);
        this.lookups.delete(m.id);
        f?.(m.thread);
        break;
      }
    }
  }

  /** Mail that arrived from another node, for a local actor on any thread (main thread only). */
  deliverFromNode(to: string, thread: number, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number): void {
    if (thread === this.thread) {
      const cell = this.cells.get(to);
      if (cell === undefined) this.holdMail(to, msg, from, askId, priority, -2);
      else this.deliverLocal(cell, msg, from, askId, priority, -2);
      return;
    }
    const box = this.outbox(thread);
    if (askId === 0 && priority === 0) box.tell(to, msg, from === null ? null : from.path, from === null ? this.thread : from.thread);
    else box.mail(to, msg, from === null ? null : from.path, from === null ? this.thread : from.thread, askId, priority);
    this.afterPush(thread, box);
  }

  /** Opens an ask on behalf of a remote asker: the answer (or its failure) goes to `done`. */
  proxyAsk(path: string, timeoutMs: number, done: (ok: boolean, value: unknown) => void): number {
    const id = this.askSeq++ * 128 + (this.thread + 2);
    this.pending.set(id, { resolve: (v) => done(true, v), reject: (e) => done(false, e), thread: this.thread, path });
    this.deadlines.add(id, timeoutMs);
    return id;
  }

  lookup<T>(path: string): Promise<ActorRef<T> | undefined> {
    if (this.cells.has(path)) return Promise.resolve(this.refFor<T>(path, this.thread));
    if (this.registry) {
      const t = this.registry.get(path);
      return Promise.resolve(t === undefined ? undefined : this.refFor<T>(path, t));
    }
    const id = this.lookupSeq++;
    return new Promise((resolve) => {
      this.lookups.set(id, (t) => resolve(t === null ? undefined : this.refFor<T>(path, t)));
      this.postHost(-1, { t: 'lookup', id, path, from: this.thread });
    });
  }

  /** A worker thread died: fail asks to it, tell watchers, let parents restart what was lost. */
  onThreadDied(thread: number): void {
    for (const [id, p] of this.pending) {
      if (p.thread !== thread) continue;
      this.pending.delete(id);
      p.reject(threadDied(p.path, thread));
    }
    for (const [path, cells] of this.remoteWatches) {
      const r = this.refs.get(path);
      if (!r || r.thread !== thread) continue;
      this.remoteWatches.delete(path);
      for (const c of cells) c.sys.push({ t: 'terminated', path, thread, reason: { error: `thread ${thread} died` } }), this.schedule(c);
    }
    this.blocked.forEach((p) => {
      if (this.refs.get(p)?.thread !== thread) return;
      this.blocked.delete(p);
      const w = this.blockedWaiters.get(p);
      this.blockedWaiters.delete(p);
      if (w) for (const f of w) f();
    });
    for (const cell of [...this.cells.values()]) cell.onThreadDied(thread);
  }

  /** Per-actor rows for inspection. */
  snapshot(): HostSnapshot {
    return {
      thread: this.thread,
      deadLetters: this.dead.total,
      quiet: { ...this.quietCounts },
      recentDeadLetters: [...this.dead.recent],
      cells: [...this.cells.values()].map((c) => c.describe()),
    };
  }

  /** Emits a `stats` event every `intervalMs` with the busiest actors (see StatsReporter). */
  startStats(intervalMs: number): void {
    this.stats.start(intervalMs, this.thread, this.cells, (ev) => this.emit(ev));
  }

  stopStats(): void {
    this.stats.stop();
  }

  /** The system is gone: asks still waiting fail, and no timer keeps the process alive. */
  close(): void {
    this.stopStats();
    this.deadlines.close();
    this.unborn.close();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(actorDead(p.path, 'the system stopped'));
    }
  }
}
