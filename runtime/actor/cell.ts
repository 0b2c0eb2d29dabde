// One actor incarnation chain: mailbox, behaviour, children and supervision state. The cell is
// also the actor's context (no extra object per actor). A restart keeps the cell and its mailbox
// and replaces the behaviour; a stop removes the cell.

import { Mailbox } from '../mailbox/mailbox.ts';
import { ActorTimers } from '../kernel/timers.ts';
import { RestartWindow, backoffDelay, decide, resolveSupervisor, type ResolvedSupervisor } from '../supervision/supervision.ts';
import { restartChildren } from '../supervision/restarts.ts';
import { ActorError, actorDead, describeError } from './errors.ts';
import { openThreadLocal, releaseThreadLocals } from './thread-local.ts';
import type { ActorContext, ActorDef, Behavior, Reply, SpawnOptions } from './behavior.ts';
import type { ActorRef, Logger, StopReason } from './types.ts';
import type { Ref } from './ref.ts';
import type { Host, SysMsg } from '../kernel/host.ts';
import type { CellInfo, CellOptions, ChildRecord } from './cell-types.ts';

export type { CellInfo, CellOptions, ChildRecord } from './cell-types.ts';

const NO_NAMES: ReadonlySet<string> = new Set();

export type CellState = 'starting' | 'running' | 'failed' | 'restarting' | 'stopping' | 'dead';

export class Cell implements ActorContext<any> {
  readonly host: Host;
  readonly path: string;
  readonly name: string;
  readonly thread: number;
  readonly self: Ref<any>;
  readonly parent: Ref<unknown> | null;
  readonly def: ActorDef<any, any>;
  readonly props: unknown;
  readonly mailbox: Mailbox;
  readonly supervisor: ResolvedSupervisor;
  readonly priority: number;
  /** No spawn/stop events (see SpawnOptions.quiet). */
  readonly quiet: boolean;
  readonly timers: ActorTimers<any>;
  readonly log: Logger;

  state: CellState = 'starting';
  behavior: Behavior<any> | null = null;
  disabled: boolean;
  awaiting = false;
  scheduled = false;
  restarts = 0;
  processed = 0;
  curFrom: Ref<unknown> | null = null;
  curAsk = 0;
  readonly sys: SysMsg[] = [];
  readonly childRecs = new Map<string, ChildRecord>();
  readonly watchers = new Map<string, Ref<unknown>>();
  readonly openAsks = new Set<number>();
  /** Threads told that this backpressure mailbox is over capacity. */
  overThreads: Set<number> | null = null;
  writableWaiters: (() => void)[] | null = null;
  private window = new RestartWindow();
  private hookPending = false;
  private childStopsPending = 0;
  private afterChildrenStop: (() => void) | null = null;

  constructor(host: Host, path: string, parent: Ref<unknown> | null, def: ActorDef<any, any>, props: unknown, options: CellOptions) {
    this.host = host;
    this.path = path;
    this.name = path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
    this.thread = host.thread;
    this.self = host.refFor(path, host.thread, def.options.wire === 'json');
    this.parent = parent;
    this.def = def;
    this.props = props;
    const mb = { ...def.options.mailbox, ...options.mailbox };
    this.mailbox = new Mailbox(mb.capacity, mb.overflow);
    this.supervisor = resolveSupervisor(host.defaultSupervisor, def.options.supervisor, options.supervisor);
    this.priority = options.priority ?? 0;
    this.quiet = options.quiet ?? false;
    this.disabled = options.disabled ?? false;
    this.restarts = options.respawn?.restarts ?? 0;
    this.timers = new ActorTimers((m) => host.deliverLocal(this, m, null, 0, 0, -2));
    this.log = host.logger(path);
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Creates the behaviour and runs `started`. A throw here is a crash like any other. */
  instantiate(): void {
    this.state = 'running';
    this.awaiting = false;
    this.hookPending = true;
    try {
      this.behavior = this.def.create(this.props, this);
      const r = this.behavior.started?.(this);
      if (r && typeof (r as Promise<void>).then === 'function') this.host.awaitResult(this, r as Promise<void>);
    } catch (err) {
      this.crash(err);
      return;
    }
    this.host.schedule(this);
  }

  crash(err: unknown): void {
    if (this.state === 'stopping' || this.state === 'dead' || this.state === 'failed') {
      this.log.error('error while stopping', { error: describeError(err) });
      return;
    }
    const reason = describeError(err);
    this.state = 'failed';
    this.timers.cancelAll();
    if (this.curAsk) {
      this.host.replyError(this.curAsk, actorDead(this.path, `crashed: ${reason}`));
      this.curAsk = 0;
    }
    this.failOpenAsks(`crashed: ${reason}`);
    this.host.emit({ type: 'crash', path: this.path, thread: this.thread, reason });
    this.log.warn('actor crashed', { reason });
    // An ActorError's data travels with the failure to the parent's decider.
    const data = err instanceof ActorError ? err.data : undefined;
    if (this.parent) this.host.sendSys(this.parent, { t: 'failed', name: this.name, reason, lost: false, data });
    else this.stop({ error: reason });
  }

  restart(reason: string): void {
    if (this.state === 'stopping' || this.state === 'dead') return;
    this.state = 'restarting';
    this.timers.cancelAll();
    // The incarnation ends: asks it was handling or had deferred can no longer be answered.
    if (this.curAsk) {
      this.host.replyError(this.curAsk, actorDead(this.path, `restarted: ${reason}`));
      this.curAsk = 0;
    }
    this.failOpenAsks(`restarted: ${reason}`);
    this.stopChildren(() => {
      if (this.state !== 'restarting') return;
      this.runStopHook({ error: reason });
      // A restarted supervisor starts with a fresh restart history, like a new process.
      this.window = new RestartWindow();
      this.restarts++;
      this.host.emit({ type: 'restart', path: this.path, thread: this.thread, reason, restarts: this.restarts });
      this.instantiate();
    });
  }

  stop(reasonOrRef?: StopReason | ActorRef<unknown>): void {
    if (reasonOrRef && typeof reasonOrRef === 'object' && 'path' in reasonOrRef) {
      this.stopChild(reasonOrRef);
      return;
    }
    const reason: StopReason = (reasonOrRef as StopReason | undefined) ?? 'normal';
    if (this.state === 'stopping' || this.state === 'dead') return;
    this.state = 'stopping';
    this.timers.cancelAll();
    this.stopChildren(() => this.finishStop(reason));
  }

  private finishStop(reason: StopReason): void {
    this.runStopHook(reason);
    this.state = 'dead';
    if (this.curAsk) this.host.replyError(this.curAsk, actorDead(this.path, 'stopped'));
    this.curAsk = 0;
    this.mailbox.forEach((_m, _f, askId) => {
      if (askId) this.host.replyError(askId, actorDead(this.path, 'stopped before handling the request'));
    });
    const dropped = this.mailbox.size;
    this.mailbox.clear();
    if (dropped) this.host.countDeadLetters(this.path, dropped, 'stopped');
    this.failOpenAsks('stopped');
    for (const w of this.watchers.values()) this.host.sendSys(w, { t: 'terminated', path: this.path, thread: this.thread, reason });
    this.watchers.clear();
    this.releaseWaiters();
    // Producers on other threads held back by this mailbox must not wait forever.
    if (this.overThreads) for (const t of this.overThreads) this.host.postHost(t, { t: 'writable', path: this.path });
    this.overThreads = null;
    this.host.removeCell(this);
    releaseThreadLocals(this, (key, err) => this.log.error('thread-local dispose failed', { key, error: describeError(err) }));
    if (this.quiet) this.host.quietCounts.stop++;
    else this.host.emit({ type: 'stop', path: this.path, thread: this.thread, reason: reasonText(reason) });
    if (this.parent) this.host.sendSys(this.parent, { t: 'child-stopped', name: this.name, path: this.path });
  }

  private runStopHook(reason: StopReason): void {
    if (!this.hookPending) return;
    this.hookPending = false;
    const b = this.behavior;
    this.behavior = null;
    try {
      b?.stopped?.(this, reason);
    } catch (err) {
      this.log.error('stop hook failed', { error: describeError(err) });
    }
  }

  private failOpenAsks(why: string): void {
    for (const id of this.openAsks) this.host.replyError(id, actorDead(this.path, why));
    this.openAsks.clear();
  }

  releaseWaiters(): void {
    const w = this.writableWaiters;
    this.writableWaiters = null;
    if (w) for (const f of w) f();
  }

  // ---- children and supervision ------------------------------------------------------------

  spawn<C, P>(def: ActorDef<C, P>, options: SpawnOptions<P>): ActorRef<C> {
    if (this.state === 'stopping' || this.state === 'dead') throw new Error(`${this.path} is stopping: cannot spawn ${options.name}`);
    const name = options.name;
    if (!name || name.includes('/')) throw new Error(`invalid actor name ${JSON.stringify(name)}: non-empty, no '/'`);
    if (this.childRecs.has(name)) throw new Error(`${this.path} already has a child named ${name}`);
    const path = this.path === '/' ? `/${name}` : `${this.path}/${name}`;
    const { props, ...rest } = options;
    const thread = this.host.place(options.thread, this.thread, path);
    const ref = this.host.refFor<C>(path, thread, def.options.wire === 'json');
    const rec: ChildRecord = { name, ref: ref as Ref<unknown>, module: def.module, defName: def.name, props, options: rest, restarts: 0, startedAt: performance.now() };
    this.childRecs.set(name, rec);
    this.host.spawnChild(this.self, rec);
    return ref;
  }

  private stopChild(ref: ActorRef<unknown>): void {
    if (ref.path === this.path) return this.stop('normal');
    this.host.sendSys(ref, { t: 'stop', reason: 'normal' });
  }

  private stopChildren(then: () => void): void {
    if (this.childRecs.size === 0) return then();
    this.childStopsPending = this.childRecs.size;
    this.afterChildrenStop = then;
    // Youngest first, like Erlang supervisors shutting down.
    const recs = [...this.childRecs.values()].reverse();
    for (const rec of recs) this.host.sendSys(rec.ref, { t: 'stop', reason: 'shutdown' });
  }

  onChildStopped(name: string, path: string): void {
    const rec = this.childRecs.get(name);
    if (!rec || rec.ref.path !== path) return;
    this.childRecs.delete(name);
    if (this.childStopsPending > 0 && --this.childStopsPending === 0) {
      const then = this.afterChildrenStop;
      this.afterChildrenStop = null;
      then?.();
    }
  }

  /**
   * A child failed. `lost` names children whose cells are gone with their thread (they are
   * spawned again rather than restarted); one thread death is one failure for the intensity.
   */
  onChildFailed(name: string, reason: string, lost: ReadonlySet<string> = NO_NAMES, data?: unknown): void {
    const rec = this.childRecs.get(name);
    if (!rec) return;
    if (this.childStopsPending > 0) {
      // Already shutting children down: a lost child counts as stopped.
      for (const l of lost) this.onChildStopped(l, this.childRecs.get(l)?.ref.path ?? '');
      return;
    }
    if (rec.options.restart === 'temporary') {
      if (lost.has(name)) this.childRecs.delete(name);
      else this.host.sendSys(rec.ref, { t: 'stop', reason: { error: reason } });
      return;
    }
    const sup = this.supervisor;
    const now = performance.now();
    const n = this.window.record(now, sup.withinMs);
    const failure = { child: rec.ref.path, reason, uptimeMs: now - rec.startedAt, failuresInWindow: n, data };
    const verdict = decide(sup, failure, this.behavior?.decide?.(failure), this.path);
    if (verdict.decision === 'stop') {
      for (const l of lost) this.childRecs.delete(l);
      if (!lost.has(name)) this.host.sendSys(rec.ref, { t: 'stop', reason: { error: reason } });
      return;
    }
    if (verdict.decision === 'escalate') {
      const why = verdict.why;
      this.host.emit({ type: 'escalate', path: this.path, thread: this.thread, reason: why });
      for (const l of lost) this.childRecs.delete(l);
      if (!this.parent) {
        this.log.error('restart intensity exceeded at the root; stopping the child', { child: rec.ref.path, reason });
        if (!lost.has(name)) this.host.sendSys(rec.ref, { t: 'stop', reason: { error: why } });
        return;
      }
      this.crash(new Error(why));
      return;
    }
    restartChildren(this, rec, reason, lost, backoffDelay(sup.backoff, n));
  }

  /** A worker thread died: children there are lost, and this actor is orphaned if its parent was there. */
  onThreadDied(thread: number): void {
    if (this.parent && this.parent.thread === thread) {
      this.stop({ error: `parent thread ${thread} died` });
      return;
    }
    const lost = [...this.childRecs.values()].filter((r) => r.ref.thread === thread);
    if (lost.length > 0) this.onChildFailed(lost[0].name, `thread ${thread} died`, new Set(lost.map((r) => r.name)));
  }

  // ---- context API -------------------------------------------------------------------------

  get sender(): Ref<unknown> | null {
    return this.curFrom;
  }

  reply(value: unknown): void {
    const id = this.curAsk;
    if (!id) return;
    this.curAsk = 0;
    this.openAsks.delete(id);
    this.host.replyOk(id, value);
  }

  replyError(error: unknown): void {
    const id = this.curAsk;
    if (!id) return;
    this.curAsk = 0;
    this.openAsks.delete(id);
    this.host.replyError(id, error);
  }

  deferReply(): Reply | null {
    const id = this.curAsk;
    if (!id) return null;
    this.curAsk = 0;
    this.openAsks.add(id);
    let done = false;
    const settle = (ok: boolean, v: unknown): void => {
      if (done || !this.openAsks.delete(id)) return;
      done = true;
      if (ok) this.host.replyOk(id, v);
      else this.host.replyError(id, v);
    };
    return { resolve: (v) => settle(true, v), reject: (e) => settle(false, e) };
  }

  watch(ref: ActorRef<unknown>): void {
    this.host.watch(this, ref);
  }

  unwatch(ref: ActorRef<unknown>): void {
    this.host.unwatch(this, ref);
  }

  enable(ref?: ActorRef<unknown>): void {
    this.host.sendSys(ref ?? this.self, { t: 'enable' });
  }

  disable(ref?: ActorRef<unknown>): void {
    if (!ref || ref.path === this.path) this.disabled = true;
    else this.host.sendSys(ref, { t: 'disable' });
  }

  fail(error: unknown): void {
    if (this.state === 'running' || this.state === 'starting') this.crash(error);
  }

  children(): ActorRef<unknown>[] {
    return [...this.childRecs.values()].map((c) => c.ref);
  }

  lookup<T = unknown>(path: string): Promise<ActorRef<T> | undefined> {
    return this.host.lookup<T>(path);
  }

  refFor<T = unknown>(path: string, thread: number): ActorRef<T> {
    return this.host.refFor<T>(path, thread);
  }

  threadLocal<T>(key: string, init: () => T, dispose?: (value: T) => void): T {
    return openThreadLocal(this.host, this, key, init, dispose);
  }

  /** Snapshot row for inspection. */
  describe(): CellInfo {
    let info: unknown;
    try {
      info = this.behavior?.inspect?.();
    } catch (err) {
      info = { error: describeError(err) };
    }
    return {
      path: this.path,
      parent: this.parent?.path ?? null,
      thread: this.thread,
      state: this.disabled && this.state === 'running' ? 'disabled' : this.state,
      kind: this.def.name,
      depth: this.mailbox.size,
      processed: this.processed,
      restarts: this.restarts,
      children: this.childRecs.size,
      info,
    };
  }
}

export function reasonText(r: StopReason): string {
  return typeof r === 'string' ? r : `error: ${r.error}`;
}
