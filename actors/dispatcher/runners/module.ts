// `module` (dispatcher.md §4.3): an ES module on a dedicated worker thread (handler-thread.ts),
// `Concurrency` requests at a time; a hung thread is terminated and replaced.

import { MessageChannel, Worker as Thread, type MessagePort } from 'node:worker_threads';
import { SEP, type HandlerBatch } from './handler-thread-types.ts';
import type { HandlerConfig } from '../config/index.ts';
import type { Envelope, Outcome } from '../messages.ts';
import { failed, type Runner, type RunnerHost } from './types.ts';

/** Batches a handler thread may have in hand at once (see ModuleRunner.flush). */
const MAX_UNACKED = 2;

type ModuleHandler = Extract<HandlerConfig, { Kind: 'module' }>;

interface ThreadDone {
  t: 'done';
  acks: number;
  ids: number[];
  oks: number[];
  text: string | null;
  values: unknown[] | null;
}

export class ModuleRunner implements Runner {
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
    // A macrotask later: creating a thread blocks for milliseconds, and the dispatcher's listener,
    // bound in the same turn at a start, binds first (requests wait for this runner's ready anyway).
    setImmediate(() => {
      if (!this.stopped) this.spawnThread();
    });
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
