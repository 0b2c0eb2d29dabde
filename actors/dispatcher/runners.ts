// The three handler kinds behind a `Worker` (dispatcher.md §4.2.4, §4.3, §4.4):
// - `legacy-tx`: the built-in service (reply after ServiceDelayMs), one request at a time;
// - `module`: an ES module on a dedicated worker thread, `Concurrency` requests at a time;
// - `process`: an external program over NDJSON stdio, one request at a time.
// Requests are never retried: a failure answers WORKER_FAILED.

import { spawn, type ChildProcess } from 'node:child_process';
import { Worker as Thread } from 'node:worker_threads';
import { builtinLegacyService } from '../../protocols/dispatcher/index.ts';
import { LinesDecoder } from '../../protocols/framing/lines.ts';
import type { DispatcherConfig, HandlerConfig } from './config.ts';
import type { DispatcherLogger } from './log.ts';
import type { Envelope, Outcome } from './messages.ts';

export interface RunnerHost {
  readonly log: DispatcherLogger;
  /** The handler instance is up (first time only). */
  ready(): void;
  /** The handler could not start (missing executable, module load error). */
  startFailed(error: string): void;
  done(e: Envelope, out: Outcome): void;
  /** The instance died; its requests were failed. The worker crashes (and is restarted per §7.1). */
  died(reason: string): void;
  /** A hung instance was terminated and replaced (§4.3, §4.4); its requests were failed. */
  replaced(reason: string): void;
}

export interface Runner {
  readonly capacity: number;
  /** Requests accepted and not yet done. */
  readonly busy: number;
  start(): void;
  run(e: Envelope): void;
  /** Periodic check for hangs and timeouts. */
  check(now: number): void;
  stop(): void;
}

const failed = (message: string): Outcome => ({ ok: false, code: 'WORKER_FAILED', message });

export function createRunner(cfg: DispatcherConfig, name: string, host: RunnerHost): Runner {
  const h = cfg.Handler;
  switch (h.Kind) {
    case 'legacy-tx':
      return new LegacyRunner(h.ServiceDelayMs, host);
    case 'module':
      return new ModuleRunner(h, name, host);
    case 'process':
      return new ProcessRunner(h, cfg.MaxFrameBytes * 4, host);
  }
}

class LegacyRunner implements Runner {
  readonly capacity = 1;
  private q: Envelope[] = [];
  private current: Envelope | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly delay: number;
  private readonly host: RunnerHost;

  constructor(delay: number, host: RunnerHost) {
    this.delay = delay;
    this.host = host;
  }

  get busy(): number {
    return this.q.length + (this.current ? 1 : 0);
  }

  start(): void {
    queueMicrotask(() => this.host.ready());
  }

  run(e: Envelope): void {
    this.q.push(e);
    this.next();
  }

  private next(): void {
    if (this.current !== null || this.q.length === 0 || this.stopped) return;
    this.current = this.q.shift()!;
    if (this.delay > 0) this.timer = setTimeout(this.finish, this.delay);
    else queueMicrotask(this.finish);
  }

  private readonly finish = (): void => {
    const e = this.current;
    if (e === null || this.stopped) return;
    this.current = null;
    this.timer = null;
    this.host.done(e, { ok: true, value: builtinLegacyService(e.req) });
    this.next();
  };

  check(): void {}

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

type ModuleHandler = Extract<HandlerConfig, { Kind: 'module' }>;

class ModuleRunner implements Runner {
  readonly capacity: number;
  private readonly h: ModuleHandler;
  private readonly name: string;
  private readonly host: RunnerHost;
  private thread: Thread | null = null;
  private inflight = new Map<number, Envelope>();
  private nextId = 1;
  private outbox: [number, unknown, number][] = [];
  private flushScheduled = false;
  private isReady = false;
  private stopped = false;

  constructor(h: ModuleHandler, name: string, host: RunnerHost) {
    this.h = h;
    this.capacity = h.Concurrency;
    this.name = name;
    this.host = host;
  }

  get busy(): number {
    return this.inflight.size;
  }

  start(): void {
    this.spawnThread();
  }

  private spawnThread(): void {
    const t = new Thread(new URL('./handler-thread.ts', import.meta.url), {
      workerData: { module: this.h.Module, export: this.h.Export, name: this.name },
    });
    this.thread = t;
    t.on('message', (m: { t: string; error?: string; results?: [number, boolean, unknown][] }) => {
      if (this.thread !== t) return;
      if (m.t === 'done') {
        for (const [id, ok, v] of m.results!) {
          const e = this.inflight.get(id);
          if (e === undefined) continue;
          this.inflight.delete(id);
          this.host.done(e, ok ? { ok: true, value: v } : failed(`the handler failed: ${String(v)}`));
        }
      } else if (m.t === 'ready') {
        if (!this.isReady) {
          this.isReady = true;
          this.host.ready();
        }
      } else if (m.t === 'load-failed') {
        this.threadDied(`cannot load ${this.h.Module}: ${m.error}`);
      }
    });
    t.on('error', (err) => {
      if (this.thread === t) this.threadDied(`handler thread failed: ${err.message}`);
    });
    t.on('exit', (code) => {
      if (this.thread === t) this.threadDied(`handler thread exited with code ${code}`);
    });
    if (this.outbox.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private threadDied(reason: string): void {
    const t = this.thread;
    this.thread = null;
    void t?.terminate();
    this.failAll(reason);
    if (this.stopped) return;
    if (!this.isReady) this.host.startFailed(reason);
    else this.host.died(reason);
  }

  private failAll(reason: string): void {
    const list = [...this.inflight.values()];
    this.inflight.clear();
    this.outbox = [];
    for (const e of list) this.host.done(e, failed(reason));
  }

  run(e: Envelope): void {
    const id = this.nextId++;
    this.inflight.set(id, e);
    this.outbox.push([id, e.req, e.deadline]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const t = this.thread;
    if (t === null || this.outbox.length === 0) return;
    const items = this.outbox;
    this.outbox = [];
    t.postMessage({ items });
  };

  check(now: number): void {
    for (const e of this.inflight.values()) {
      if (e.deadline > 0 && now > e.deadline + 1000) {
        const reason = `a request still ran 1 s after its deadline; handler thread replaced`;
        this.host.log.warn(reason, { worker: this.name, slot: e.slot, seq: e.seq });
        const t = this.thread;
        this.thread = null;
        void t?.terminate();
        this.failAll(reason);
        this.host.replaced(reason);
        this.spawnThread();
        return;
      }
    }
  }

  stop(): void {
    this.stopped = true;
    const t = this.thread;
    this.thread = null;
    void t?.terminate();
  }
}

type ProcessHandler = Extract<HandlerConfig, { Kind: 'process' }>;

/** stdin closed, SIGTERM, then SIGKILL 1 s later (§6.2 step 6). */
function terminate(child: ChildProcess): void {
  child.stdin?.end();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 1000).unref();
}

class ProcessRunner implements Runner {
  readonly capacity = 1;
  private readonly h: ProcessHandler;
  private readonly maxLine: number;
  private readonly host: RunnerHost;
  private child: ChildProcess | null = null;
  private spawned = false;
  private isReady = false;
  private stopped = false;
  private q: Envelope[] = [];
  private current: { e: Envelope; id: number } | null = null;
  private nextId = 1;

  constructor(h: ProcessHandler, maxLine: number, host: RunnerHost) {
    this.h = h;
    this.maxLine = maxLine;
    this.host = host;
  }

  get busy(): number {
    return this.q.length + (this.current ? 1 : 0);
  }

  start(): void {
    this.spawnChild();
  }

  private spawnChild(): void {
    const h = this.h;
    let child: ChildProcess;
    try {
      child = spawn(h.Command, h.Args, {
        cwd: h.Cwd,
        env: { ...process.env, ...h.Env },
        stdio: ['pipe', 'pipe', 'pipe'],
        argv0: h.Argv0,
      });
    } catch (err) {
      this.host.startFailed(`cannot start ${h.Command}: ${(err as Error).message}`);
      return;
    }
    this.child = child;
    this.spawned = false;
    const out = new LinesDecoder({ maxFrameSize: this.maxLine });
    const errLines = new LinesDecoder({ maxFrameSize: 65536 });
    child.stdin!.on('error', () => {});
    child.on('spawn', () => {
      if (this.child !== child) return;
      this.spawned = true;
      if (!this.isReady) {
        this.isReady = true;
        this.host.ready();
      }
      this.next();
    });
    child.on('error', (err) => {
      if (this.child !== child) return;
      if (!this.spawned) {
        this.child = null;
        const reason = `cannot start ${h.Command}: ${err.message}`;
        this.failCurrent(reason);
        if (!this.isReady) this.host.startFailed(reason);
        else this.host.died(reason);
      } else this.host.log.warn('worker process error', { command: h.Command, error: err.message });
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      const busy = this.current !== null;
      const reason = `worker process exited (${signal ?? `code ${code}`})${busy ? ' while busy' : ''}`;
      this.failCurrent(reason);
      if (!this.stopped) this.host.died(reason);
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      for (const line of out.push(chunk)) {
        if (this.child !== child) return;
        this.onLine(child, line);
      }
      if (out.error !== null && this.child === child) this.protocolFailure(child, `a reply line over ${this.maxLine} bytes`);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      for (const line of errLines.push(chunk)) this.host.log.info('worker stderr', { command: h.Command, pid: child.pid, line: line.toString('utf8') });
    });
  }

  private onLine(child: ChildProcess, line: Buffer): void {
    let msg: { id?: unknown; reply?: unknown; error?: unknown };
    try {
      msg = JSON.parse(line.toString('utf8'));
    } catch {
      this.protocolFailure(child, 'unparseable output from the worker process');
      return;
    }
    const cur = this.current;
    if (msg === null || typeof msg !== 'object' || cur === null || msg.id !== cur.id) {
      this.protocolFailure(child, `reply id mismatch (expected ${cur?.id ?? 'none'}, found ${JSON.stringify((msg as { id?: unknown } | null)?.id)})`);
      return;
    }
    this.current = null;
    if ('reply' in msg) this.host.done(cur.e, { ok: true, value: msg.reply });
    else if (typeof msg.error === 'string') this.host.done(cur.e, failed(`the worker process answered an error: ${msg.error}`));
    else {
      this.current = cur;
      this.protocolFailure(child, 'a reply line with neither "reply" nor "error"');
      return;
    }
    this.next();
  }

  private protocolFailure(child: ChildProcess, reason: string): void {
    this.child = null;
    terminate(child);
    this.failCurrent(reason);
    if (!this.stopped) this.host.died(reason);
  }

  private failCurrent(reason: string): void {
    const cur = this.current;
    this.current = null;
    if (cur) this.host.done(cur.e, failed(reason));
  }

  run(e: Envelope): void {
    this.q.push(e);
    this.next();
  }

  private next(): void {
    const child = this.child;
    if (this.current !== null || this.q.length === 0 || child === null || !this.spawned || this.stopped) return;
    const e = this.q.shift()!;
    const id = this.nextId++;
    this.current = { e, id };
    child.stdin!.write(`${JSON.stringify({ id, request: e.req })}\n`);
  }

  check(now: number): void {
    const cur = this.current;
    const child = this.child;
    if (cur === null || child === null || cur.e.deadline === 0 || now <= cur.e.deadline) return;
    const reason = 'the worker process did not answer by the deadline; replaced';
    this.host.log.warn(reason, { command: this.h.Command, pid: child.pid, slot: cur.e.slot, seq: cur.e.seq });
    this.child = null;
    terminate(child);
    this.failCurrent(reason);
    this.host.replaced(reason);
    this.spawnChild();
  }

  stop(): void {
    this.stopped = true;
    const child = this.child;
    this.child = null;
    if (child) terminate(child);
  }
}
