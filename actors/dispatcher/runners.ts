// The three handler kinds behind a `Worker` (dispatcher.md §4.2.4, §4.3, §4.4):
// - `legacy-tx`: the built-in service (reply after ServiceDelayMs), one request at a time;
// - `module`: an ES module on a dedicated worker thread, `Concurrency` requests at a time;
// - `process`: an external program over NDJSON stdio, one request at a time.
// Requests are never retried: a failure answers WORKER_FAILED.

import { spawn, type ChildProcess } from 'node:child_process';
import { MessageChannel, Worker as Thread, type MessagePort } from 'node:worker_threads';
import { builtinLegacyService, oneLine, protocolByName } from '../../protocols/dispatcher/index.ts';
import { SEP, type HandlerBatch } from './handler-thread-types.ts';
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
  /** Answers WORKER_FAILED for every request in hand (the worker goes away). */
  failAll(reason: string): void;
  stop(): void;
}

/** Batches a handler thread may have in hand at once (see ModuleRunner.flush). */
const MAX_UNACKED = 2;

const failed = (message: string): Outcome => ({ ok: false, code: 'WORKER_FAILED', message });

export function createRunner(cfg: DispatcherConfig, name: string, host: RunnerHost): Runner {
  const h = cfg.Handler;
  const textRequests = protocolByName(cfg.Protocol).textRequests;
  switch (h.Kind) {
    case 'legacy-tx':
      return new LegacyRunner(h.ServiceDelayMs, host);
    case 'module':
      return new ModuleRunner(h, name, textRequests, host);
    case 'process':
      return new ProcessRunner(h, cfg.MaxFrameBytes * 4, textRequests, host);
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

  failAll(reason: string): void {
    const list = this.current ? [this.current, ...this.q] : [...this.q];
    this.current = null;
    this.q = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const e of list) this.host.done(e, failed(reason));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

type ModuleHandler = Extract<HandlerConfig, { Kind: 'module' }>;

interface ThreadDone {
  t: 'done';
  acks: number;
  ids: number[];
  oks: number[];
  text: string | null;
  values: unknown[] | null;
}

class ModuleRunner implements Runner {
  readonly capacity: number;
  private readonly h: ModuleHandler;
  private readonly name: string;
  private readonly host: RunnerHost;
  private readonly textMode: boolean;
  private thread: Thread | null = null;
  private port: MessagePort | null = null;
  /** In-flight envelopes; a request's id is its index here (reused once its result is back). */
  private readonly slots: (Envelope | undefined)[] = [];
  private free: number[] = [];
  private inflight = 0;
  private outIds: number[] = [];
  private outDeadlines: number[] = [];
  private outReqs: unknown[] = [];
  private flushScheduled = false;
  /** Batches sent and not yet acknowledged by the thread. */
  private unacked = 0;
  /**
   * A request is past its deadline and the thread has not acknowledged a batch since: it is
   * probably blocked, so new requests wait here (for it to recover or for its replacement)
   * instead of joining the requests that will fail with it.
   */
  private suspect = false;
  private isReady = false;
  private stopped = false;

  constructor(h: ModuleHandler, name: string, textMode: boolean, host: RunnerHost) {
    this.h = h;
    this.capacity = h.Concurrency;
    this.name = name;
    this.host = host;
    this.textMode = textMode;
  }

  get busy(): number {
    return this.inflight;
  }

  start(): void {
    this.spawnThread();
  }

  private spawnThread(): void {
    // Batches travel on a dedicated channel (cheaper than the Worker object's own message events).
    const { port1, port2 } = new MessageChannel();
    const t = new Thread(new URL('./handler-thread.ts', import.meta.url), {
      workerData: { module: this.h.Module, export: this.h.Export, name: this.name, port: port2 },
      transferList: [port2],
    });
    this.thread = t;
    this.port = port1;
    port1.on('message', (m: ThreadDone | { t: 'ready' } | { t: 'load-failed'; error: string }) => {
      if (this.thread !== t) return;
      if (m.t === 'done') this.onDone(m);
      else if (m.t === 'ready') {
        if (!this.isReady) {
          this.isReady = true;
          this.host.ready();
        }
      } else this.threadDied(`cannot load ${this.h.Module}: ${m.error}`);
    });
    t.on('error', (err) => {
      if (this.thread === t) this.threadDied(`handler thread failed: ${err.message}`);
    });
    t.on('exit', (code) => {
      port1.close();
      if (this.thread === t) this.threadDied(`handler thread exited with code ${code}`);
    });
  }

  private onDone(m: ThreadDone): void {
    if (m.acks > 0) {
      this.unacked = Math.max(0, this.unacked - m.acks);
      this.suspect = false;
      // Requests that arrived while the thread was busy go now, as one batch.
      if (this.outIds.length > 0 && !this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(this.flush);
      }
    }
    const { ids, oks } = m;
    const texts = m.text !== null ? m.text.split(SEP) : null;
    const values = m.values;
    for (let i = 0; i < ids.length; i++) {
      const k = ids[i];
      const e = this.slots[k];
      if (e === undefined) continue;
      this.slots[k] = undefined;
      this.free.push(k);
      this.inflight--;
      if (oks[i] === 1) this.host.done(e, texts !== null ? texts[i] : { ok: true, value: values![i] });
      else this.host.done(e, failed(`the handler failed: ${texts !== null ? texts[i] : String(values![i])}`));
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

  failAll(reason: string): void {
    this.outIds = [];
    this.outDeadlines = [];
    this.outReqs = [];
    this.failPosted(reason, new Set());
  }

  run(e: Envelope): void {
    const id = this.free.length > 0 ? this.free.pop()! : this.slots.length;
    this.slots[id] = e;
    this.inflight++;
    this.outIds.push(id);
    this.outDeadlines.push(e.deadline);
    this.outReqs.push(e.req);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Requests arrive in batches (one per event-loop iteration, see shared.ts `enqueue`): one
      // postMessage per batch.
      queueMicrotask(this.flush);
    }
  }

  /**
   * Sends the waiting requests as one batch, unless MAX_UNACKED batches are still unacknowledged:
   * then they wait for an ack. Batches grow with the load and an idle thread is woken once per
   * batch (waking a sleeping thread is the dominant cost of a small postMessage).
   */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const port = this.port;
    if (this.thread === null || port === null || this.outIds.length === 0 || this.unacked >= MAX_UNACKED || this.suspect) return;
    this.unacked++;
    const batch: HandlerBatch = this.textMode
      ? { ids: this.outIds, deadlines: this.outDeadlines, text: (this.outReqs as string[]).join(SEP), values: null }
      : { ids: this.outIds, deadlines: this.outDeadlines, text: null, values: this.outReqs };
    this.outIds = [];
    this.outDeadlines = [];
    this.outReqs = [];
    port.postMessage(batch);
  };

  check(now: number): void {
    const held = new Set(this.outIds);
    let overdue = false;
    for (let k = 0; k < this.slots.length; k++) {
      const e = this.slots[k];
      if (e === undefined || held.has(k) || e.deadline <= 0 || now <= e.deadline) continue;
      if (now <= e.deadline + 1000) {
        overdue = true;
        continue;
      }
      const reason = `a request still ran 1 s after its deadline; handler thread replaced`;
      this.host.log.warn(reason, { worker: this.name, slot: e.slot, seq: e.seq, held: held.size });
      const t = this.thread;
      this.thread = null;
      void t?.terminate();
      this.failPosted(reason, held);
      this.host.replaced(reason);
      this.spawnThread();
      this.flush(); // the held requests go to the replacement
      return;
    }
    if (overdue && this.unacked > 0) this.suspect = true;
  }

  /** Fails every request but the held ones (those stay for the next thread). */
  private failPosted(reason: string, held: Set<number>): void {
    const list: Envelope[] = [];
    for (let k = 0; k < this.slots.length; k++) {
      const e = this.slots[k];
      if (e === undefined || held.has(k)) continue;
      list.push(e);
      this.slots[k] = undefined;
      this.free.push(k);
      this.inflight--;
    }
    this.unacked = 0;
    this.suspect = false;
    for (const e of list) this.host.done(e, failed(reason));
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

  private readonly textRequests: boolean;

  constructor(h: ProcessHandler, maxLine: number, textRequests: boolean, host: RunnerHost) {
    this.h = h;
    this.maxLine = maxLine;
    this.textRequests = textRequests;
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
    // A `json` request is already valid JSON text: embedded as is, on one line.
    const request = this.textRequests ? oneLine(e.req as string) : JSON.stringify(e.req);
    child.stdin!.write(`{"id":${id},"request":${request}}\n`);
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

  failAll(reason: string): void {
    this.failCurrent(reason);
    const q = this.q;
    this.q = [];
    for (const e of q) this.host.done(e, failed(reason));
  }

  stop(): void {
    this.stopped = true;
    const child = this.child;
    this.child = null;
    if (child) terminate(child);
  }
}
