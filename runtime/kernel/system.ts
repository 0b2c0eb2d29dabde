// The actor system: the main thread's host, the worker pool, the root guardian `/`, the event
// stream and graceful shutdown. This is what a program (or the CLI's `run`) creates.

import os from 'node:os';
import { Host } from './host.ts';
import { peekThreadLocal } from '../actor/thread-local.ts';
import type { ThreadPool } from '../threads/threads.ts';
import { EventBus, type RuntimeEvent } from '../inspection/events.ts';
import { loggerFor, setLogLevel } from '../log/log.ts';
import type { ActorDef, SpawnOptions } from '../actor/behavior.ts';
import type { Cell, CellInfo } from '../actor/cell.ts';
import type { ActorRef, Logger, Placement, StopReason, SupervisorOptions } from '../actor/types.ts';
import type { NodeInfo, RuntimeNode } from '../nodes/node.ts';
import type { NodesConfig } from '../nodes/config.ts';

export interface SystemOptions {
  name?: string;
  /** Worker threads (default: one per core). 0 runs everything on the main thread. */
  threads?: number;
  logLevel?: string;
  /** How the root supervises top-level actors. */
  supervisor?: SupervisorOptions;
  /** Modules every worker imports at start (actor definitions), e.g. `import.meta.url` of subsystems. */
  preload?: string[];
  /** Thread for actors by path, overriding the spawn option (from the topology). */
  placement?: Record<string, Placement>;
  /** Period of `stats` events (mailbox depths, message counts); 0 turns them off. Default 1000. */
  statsIntervalMs?: number;
  /** Makes this system a runtime node linked to others over ws (the topology's `nodes:`). */
  node?: NodesConfig;
  /** Folder that relative paths of `node` (secret, certificates) start from. */
  baseDir?: string;
}

export interface SystemSnapshot {
  name: string;
  pid: number;
  uptimeMs: number;
  threads: { thread: number; actors: number; deadLetters: number }[];
  recentDeadLetters: { thread: number; at: string; to: string; reason: string }[];
  actors: CellInfo[];
  counts: EventBus['counts'];
  /** This node and its peers, when the system is a runtime node. */
  node?: NodeInfo;
}

export class ActorSystem {
  readonly name: string;
  readonly events = new EventBus();
  readonly host: Host;
  readonly log: Logger;
  private pool: ThreadPool | null = null;
  private root!: Cell;
  private started = Date.now();
  private rootStopped: (() => void) | null = null;
  private stopping: Promise<void> | null = null;
  private deathWaiters = new Map<string, ((reason: string) => void)[]>();
  /** The runtime node this system is (SystemOptions.node), linked to its peers. */
  node: RuntimeNode | null = null;

  private constructor(name: string, threads: number, supervisor: SupervisorOptions | undefined) {
    this.name = name;
    this.log = loggerFor(`system:${name}`);
    this.host = new Host({
      thread: -1,
      workers: threads,
      logger: loggerFor,
      defaultSupervisor: supervisor,
      onEvent: (ev) => this.onEvent(ev),
    });
    this.host.registry = new Map();
  }

  static async start(o: SystemOptions = {}): Promise<ActorSystem> {
    if (o.logLevel) setLogLevel(o.logLevel);
    const threads = o.threads ?? os.availableParallelism();
    const sys = new ActorSystem(o.name ?? 'actor-runtime', threads, o.supervisor);
    sys.host.placement = o.placement;
    const statsIntervalMs = o.statsIntervalMs ?? 1000;
    if (statsIntervalMs > 0) sys.host.startStats(statsIntervalMs);
    sys.root = sys.host.createRoot(o.supervisor);
    if (threads > 0) {
      // Imported here: a system without worker threads (a one-shot tool, an agency) never loads the pool or comlink.
      const { ThreadPool } = await import('../threads/threads.ts');
      const pool = new ThreadPool(sys.host, threads, { logLevel: o.logLevel, supervisor: o.supervisor, preload: o.preload, placement: o.placement, statsIntervalMs });
      pool.onDeath = (thread, reason) => {
        sys.log.error('worker thread died', { thread, reason });
        sys.events.publish({ type: 'thread-died', thread, reason });
        for (const [path, t] of sys.host.registry!) if (t === thread) sys.host.registry!.delete(path);
      };
      pool.onRestarted = (thread) => sys.events.publish({ type: 'thread-started', thread });
      await pool.start();
      sys.pool = pool;
    }
    if (o.node) {
      const { RuntimeNode } = await import('../nodes/node.ts');
      try {
        sys.node = await RuntimeNode.start(sys, o.node, o.baseDir);
      } catch (err) {
        await sys.stop(2000);
        throw err;
      }
    }
    return sys;
  }

  get threads(): number {
    return this.pool?.size ?? 0;
  }

  private onEvent(ev: RuntimeEvent): void {
    const reg = this.host.registry!;
    if (ev.type === 'spawn') reg.set(ev.path, ev.thread);
    else if (ev.type === 'stop') {
      if (reg.get(ev.path) === ev.thread) reg.delete(ev.path);
      const w = this.deathWaiters.get(ev.path);
      if (w) {
        this.deathWaiters.delete(ev.path);
        for (const f of w) f(ev.reason);
      }
      if (ev.path === '/') this.rootStopped?.();
    }
    this.events.publish(ev);
  }

  /** Spawns a top-level actor under `/`. */
  spawn<M, P>(def: ActorDef<M, P>, options: SpawnOptions<P>): ActorRef<M> {
    return this.root.spawn(def, options);
  }

  lookup<T = unknown>(path: string): Promise<ActorRef<T> | undefined> {
    return this.host.lookup<T>(path);
  }

  refFor<T = unknown>(path: string, thread: number): ActorRef<T> {
    return this.host.refFor<T>(path, thread);
  }

  /** Stops one actor (and its subtree); resolves with the stop reason once it is gone. */
  /** The main thread's value of `ctx.threadLocal(key)`, if an actor holds it (tests, tools). */
  threadLocal<T>(key: string): T | undefined {
    return peekThreadLocal<T>(this.host, key);
  }

  stopActor(ref: ActorRef<unknown>, reason: StopReason = 'normal'): Promise<string> {
    const done = this.whenStopped(ref.path);
    this.host.sendSys(ref, { t: 'stop', reason });
    return done;
  }

  whenStopped(path: string): Promise<string> {
    return new Promise((resolve) => {
      const list = this.deathWaiters.get(path) ?? [];
      list.push(resolve);
      this.deathWaiters.set(path, list);
    });
  }

  /** Snapshot of every actor on every thread (control plane: comlink to each worker). */
  async snapshot(): Promise<SystemSnapshot> {
    const parts = [this.host.snapshot(), ...(this.pool ? await this.pool.snapshots() : [])];
    return {
      name: this.name,
      pid: process.pid,
      uptimeMs: Date.now() - this.started,
      threads: parts.map((p) => ({ thread: p.thread, actors: p.cells.length, deadLetters: p.deadLetters })),
      recentDeadLetters: parts.flatMap((p) => p.recentDeadLetters.map((d) => ({ thread: p.thread, ...d }))).sort((a, b) => (a.at < b.at ? -1 : 1)).slice(-20),
      actors: parts.flatMap((p) => p.cells).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
      counts: {
        ...this.events.counts,
        spawn: this.events.counts.spawn + parts.reduce((n, p) => n + p.quiet.spawn, 0),
        stop: this.events.counts.stop + parts.reduce((n, p) => n + p.quiet.stop, 0),
      },
      ...(this.node ? { node: this.node.describe() } : {}),
    };
  }

  /** Kills worker thread `index` for real; its actors are restarted by their supervisors. */
  killThread(index: number): Promise<void> {
    if (!this.pool) throw new Error('system has no worker threads');
    return this.pool.kill(index);
  }

  /**
   * Graceful stop: every actor is stopped children first and its stop hook runs; then the worker
   * threads end. After `timeoutMs` the threads are terminated regardless.
   */
  stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      const rootDone = new Promise<void>((resolve) => (this.rootStopped = resolve));
      this.host.sendSys(this.root.self, { t: 'stop', reason: 'shutdown' });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
      const late = await Promise.race([rootDone.then(() => false), timedOut]);
      clearTimeout(timer);
      if (late) this.log.warn('graceful stop timed out; terminating threads', { timeoutMs });
      // After the actors (their watchers on other nodes hear a normal stop), before the threads.
      await this.node?.stop();
      await this.pool?.stop();
      this.host.close();
    })();
    return this.stopping;
  }
}
