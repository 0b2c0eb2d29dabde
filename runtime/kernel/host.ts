// The runtime of one thread: its actor cells and the state its parts share. Every thread (main
// and each worker) runs exactly one Host per system. The parts are plain functions over that
// state, in their own files: the scheduler (scheduler.ts), asks (asks.ts), the directory of refs
// and placement (directory.ts), backpressure (backpressure.ts), spawning (spawning.ts) and the
// cross-thread send and wire format (threads/send.ts, threads/wire.ts). Delivery, system
// messages, death watch and dead letters stay here. The fields are kernel state, not API.

import { Cell, type ChildRecord } from '../actor/cell.ts';
import { Mailbox } from '../mailbox/mailbox.ts';
import { newSlot } from '../mailbox/queue.ts';
import { UnbornMail, type HeldItem } from './unborn.ts';
import { Deadlines } from './deadlines.ts';
import { DeadLetters } from '../inspection/dead-letters.ts';
import { StatsReporter } from '../inspection/stats.ts';
import type { Outbox } from '../threads/outbox.ts';
import { K_SYS, decodeBatch } from '../threads/wire.ts';
import { afterPush, flush, outboxFor, postHost, pushRecord, sendOnward } from '../threads/send.ts';
import { CELL, type Ref, type RefHost } from '../actor/ref.ts';
import { actorDead, askTimeout, mailboxFull, threadDied } from '../actor/errors.ts';
import type { RuntimeEvent } from '../inspection/events.ts';
import type { ActorRef, AskOptions, Logger, Placement, SupervisorOptions } from '../actor/types.ts';
import { isRemotePath, type HostMsg, type HostOptions, type HostSnapshot, type Link, type PendingAsk, type RemoteRoute, type SysMsg } from './host-types.ts';
import { awaitResult, deliverRun, schedule, turn } from './scheduler.ts';
import { ask, failAsks, forwardedAskId, replyError, replyOk, settle } from './asks.ts';
import { answerLookup, localCell, lookup, lookupAnswered, place, refFor } from './directory.ts';
import { unblock, writable } from './backpressure.ts';
import { Root, spawnArrived, spawnChild } from './spawning.ts';

export { isRemotePath } from './host-types.ts';
export type { HostMsg, HostOptions, HostSnapshot, Link, RemoteRoute, SysMsg } from './host-types.ts';

export class Host implements RefHost {
  readonly thread: number;
  readonly workers: number;
  readonly cells = new Map<string, Cell>();
  readonly defaultSupervisor: SupervisorOptions | undefined;
  readonly logger: (path: string) => Logger;
  readonly links = new Map<number, Link>();
  /** Lifecycle of `quiet` actors: counted here instead of announced as events. */
  readonly quietCounts = { spawn: 0, stop: 0 };
  dead: DeadLetters;
  /** Placement overrides by actor path, from the topology. */
  placement: Record<string, Placement> | undefined;
  stats = new StatsReporter();
  /** Main thread only: path -> thread of every live actor, for lookups. */
  registry: Map<string, number> | null = null;
  /** Round-robin cursor for `any` placement. */
  nextAny = 0;
  onEvent: ((ev: RuntimeEvent) => void) | undefined;
  runQueue = new Mailbox(Infinity, 'backpressure');
  turnScheduled = false;
  flushScheduled = false;
  /** Outboxes indexed by thread + 1 (main is -1). */
  outboxes: (Outbox | undefined)[] = [];
  pending = new Map<number, PendingAsk>();
  deadlines = new Deadlines(
    (id) => this.pending.has(id),
    (id, ms) => {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      p.reject(askTimeout(p.path, ms));
    },
  );
  askSeq = 1;
  lookupSeq = 1;
  lookups = new Map<number, (thread: number | null) => void>();
  refs = new Map<string, Ref<any>>();
  /** Remote targets watched by local cells, to report thread death. */
  remoteWatches = new Map<string, Set<Cell>>();
  /** Paths on other threads that told us to hold back (backpressure). */
  blocked = new Set<string>();
  blockedWaiters = new Map<string, (() => void)[]>();
  slot = newSlot();
  unborn = new UnbornMail((path, items, why) => this.expireHeld(path, items, why));
  current: Cell | null = null;
  readonly turnFn = (): void => turn(this);
  readonly flushFn = (): void => flush(this);
  log: Logger;
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
    return refFor<T>(this, path, thread, json);
  }

  place(p: Placement | undefined, parentThread: number, path = ''): number {
    return place(this, p, parentThread, path);
  }

  // ---- spawning ---------------------------------------------------------------------------

  spawnChild(parent: Ref<unknown>, rec: ChildRecord): void {
    spawnChild(this, parent, rec);
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
      const c = this.current;
      // Remote paths (main thread only) go straight to the node router: no cell lookup to miss.
      if (this.remote !== null && ref.path.charCodeAt(0) !== 47) return this.remote.mail(ref.path, message, c === null ? null : c.self, 0, priority, -2);
      const cell = localCell(this, ref);
      if (cell === undefined) return this.holdMail(ref.path, message, c === null ? null : c.self, 0, priority, -2);
      return this.deliverLocal(cell, message, c === null ? null : c.self, 0, priority, -2);
    }
    const c = this.current;
    const box = outboxFor(this, ref.thread);
    if (priority === 0) {
      if (ref.json === 1) box.tellJson(ref.path, message, c === null ? null : c.path, this.thread);
      else box.tell(ref.path, message, c === null ? null : c.path, this.thread);
    } else box.mail(ref.path, message, c === null ? null : c.path, this.thread, 0, priority);
    afterPush(this, ref.thread, box);
    return !this.blocked.has(ref.path);
  }

  ask<R>(ref: Ref<any>, message: unknown, options: AskOptions | undefined): Promise<R> {
    return ask<R>(this, ref, message, options);
  }

  writable(ref: Ref<any>): Promise<void> {
    return writable(this, ref);
  }

  /**
   * Puts mail in a local mailbox per its overflow policy. `fromThread` is the remote sender's
   * thread for cross-thread mail (to tell it about backpressure), -2 for local senders.
   */
  deliverLocal(cell: Cell, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number, fromThread: number): boolean {
    if (cell.state === 'dead' || cell.state === 'stopping') {
      this.countDeadLetters(cell.path, 1, 'stopping');
      if (askId) replyError(this, askId, actorDead(cell.path, 'stopping'));
      return false;
    }
    const mb = cell.mailbox;
    const r = mb.offer(msg, from, askId, priority);
    if (r === 'ok') {
      if (!cell.scheduled) schedule(this, cell);
      return true;
    }
    switch (r) {
      case 'over':
        if (!cell.scheduled) schedule(this, cell);
        if (fromThread !== -2) {
          (cell.overThreads ??= new Set()).add(fromThread);
          postHost(this, fromThread, { t: 'over', path: cell.path });
        }
        return false;
      case 'dropped-oldest': {
        const ev = mb.evicted;
        this.countDeadLetters(cell.path, 1, 'dropped-oldest');
        if (ev.askId) replyError(this, ev.askId, mailboxFull(cell.path, mb.capacity));
        ev.msg = ev.from = undefined;
        if (!cell.scheduled) schedule(this, cell);
        return true;
      }
      default:
        this.countDeadLetters(cell.path, 1, r === 'rejected' ? 'mailbox-full' : 'dropped-newest');
        if (askId) replyError(this, askId, mailboxFull(cell.path, mb.capacity));
        return false;
    }
  }

  /** `n` tells of `msgs` from one sender that arrived together (a node frame's run). */
  deliverRun(cell: Cell, msgs: unknown[], n: number, from: Ref<unknown> | null): void {
    deliverRun(this, cell, msgs, n, from);
  }

  sendSys(ref: ActorRef<unknown>, sys: SysMsg): void {
    if (ref.thread === this.thread) {
      if (this.remote !== null && isRemotePath(ref.path)) return this.remote.sys(ref.path, sys);
      const cell = this.cells.get(ref.path);
      if (cell) {
        cell.sys.push(sys);
        schedule(this, cell);
      } else if (!this.unborn.hold(ref.path, { sys })) this.sysToMissing(ref.path, sys);
      return;
    }
    pushRecord(this, ref.thread, K_SYS, ref.path, sys);
  }

  /** Mail for a path with no actor (yet): held for the spawn that may be on its way. */
  holdMail(path: string, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number, fromThread: number): boolean {
    if (this.remote !== null && isRemotePath(path)) return this.remote.mail(path, msg, from, askId, priority, fromThread);
    if (this.unborn.hold(path, { sys: null, msg, from, askId, priority, fromThread })) return true;
    this.countDeadLetters(path, 1, 'no such actor');
    if (askId) replyError(this, askId, actorDead(path, 'no such actor'));
    return false;
  }

  expireHeld(path: string, items: HeldItem[], why: string): void {
    let mail = 0;
    for (const it of items) {
      if (it.sys !== null) this.sysToMissing(path, it.sys);
      else {
        mail++;
        if (it.askId) replyError(this, it.askId, actorDead(path, why));
      }
    }
    if (mail) this.countDeadLetters(path, mail, why);
  }

  sysToMissing(path: string, sys: SysMsg): void {
    if (sys.t === 'watch') {
      this.sendSys(refFor(this, sys.path, sys.thread), { t: 'terminated', path, thread: this.thread, reason: { error: 'no such actor' } });
    }
  }

  replyOk(askId: number, value: unknown): void {
    replyOk(this, askId, value);
  }

  replyError(askId: number, error: unknown): void {
    replyError(this, askId, error);
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
    schedule(this, cell);
  }

  awaitResult(cell: Cell, p: Promise<void>): void {
    awaitResult(this, cell, p);
  }

  // ---- cross-thread transport ---------------------------------------------------------------

  postHost(thread: number, msg: HostMsg): void {
    postHost(this, thread, msg);
  }

  flush(): void {
    flush(this);
  }

  /** Entry for a batch that arrived from another thread (decoded by threads/wire.ts). */
  receiveBatch(b: unknown[]): void {
    decodeBatch(this, b);
  }

  /** A system message from another thread for a cell of this one. */
  sysArrived(path: string, sys: SysMsg): void {
    this.sendSys({ path, thread: this.thread } as ActorRef<unknown>, sys);
  }

  settle(askId: number, ok: number, value: unknown): void {
    settle(this, askId, ok, value);
  }

  handleHost(m: HostMsg): void {
    switch (m.t) {
      case 'spawn':
        spawnArrived(this, m);
        break;
      case 'thread-died':
        this.onThreadDied(m.thread);
        break;
      case 'events':
        for (const ev of m.list) this.emit(ev);
        break;
      case 'over':
        this.blocked.add(m.path);
        break;
      case 'writable':
        unblock(this, m.path);
        break;
      case 'lookup':
        answerLookup(this, m.id, m.path, m.from);
        break;
      case 'lookup-result':
        lookupAnswered(this, m.id, m.thread);
        break;
    }
  }

  /** Mail that arrived from another node, for a local actor on any thread (main thread only). */
  deliverFromNode(to: string, thread: number, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number): void {
    if (thread !== this.thread) return sendOnward(this, to, thread, msg, from, askId, priority);
    const cell = this.cells.get(to);
    if (cell === undefined) this.holdMail(to, msg, from, askId, priority, -2);
    else this.deliverLocal(cell, msg, from, askId, priority, -2);
  }

  /** An ask id for mail from a peer node: its answer goes to `remote.answer`, not to a promise. */
  forwardedAskId(): number {
    return forwardedAskId(this);
  }

  lookup<T>(path: string): Promise<ActorRef<T> | undefined> {
    return lookup<T>(this, path);
  }

  /** A worker thread died: fail asks to it, tell watchers, let parents restart what was lost. */
  onThreadDied(thread: number): void {
    failAsks(this, thread, (p) => threadDied(p.path, thread));
    for (const [path, cells] of this.remoteWatches) {
      const r = this.refs.get(path);
      if (!r || r.thread !== thread) continue;
      this.remoteWatches.delete(path);
      for (const c of cells) c.sys.push({ t: 'terminated', path, thread, reason: { error: `thread ${thread} died` } }), schedule(this, c);
    }
    this.blocked.forEach((p) => {
      if (this.refs.get(p)?.thread === thread) unblock(this, p);
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
    failAsks(this, null, (p) => actorDead(p.path, 'the system stopped'));
  }
}
