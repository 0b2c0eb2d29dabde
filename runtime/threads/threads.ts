// The worker pool seen from the main thread: starting workers, wiring every pair of threads with
// its own port, and replacing a worker that dies (a supervised failure, not a crash of the system).

import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { Host, HostSnapshot } from '../kernel/host.ts';
import type { Placement, SupervisorOptions } from '../actor/types.ts';
import { discardPrestarted, takePrestarted } from './prestart.ts';

export interface WorkerInit {
  index: number;
  workers: number;
  control: MessagePort;
  logLevel?: string;
  supervisor?: SupervisorOptions;
  placement?: Record<string, Placement>;
  statsIntervalMs?: number;
  /** Actor modules the entry starts importing at once (the pool's `preload` waits for them). */
  preload?: string[];
}

export interface WorkerControl {
  link(thread: number, port: MessagePort): void;
  preload(modules: string[]): Promise<void>;
  snapshot(): HostSnapshot;
}

export interface PoolOptions {
  logLevel?: string;
  supervisor?: SupervisorOptions;
  preload?: string[];
  placement?: Record<string, Placement>;
  statsIntervalMs?: number;
}

interface Slot {
  worker: Worker;
  control: Comlink.Remote<WorkerControl>;
  alive: boolean;
}

export class ThreadPool {
  readonly size: number;
  private slots: Slot[] = [];
  private host: Host;
  private opts: PoolOptions & { preload: string[] };
  private stopping = false;
  onDeath: (thread: number, reason: string) => void = () => {};
  onRestarted: (thread: number) => void = () => {};

  constructor(host: Host, size: number, opts: PoolOptions) {
    this.host = host;
    this.size = size;
    this.opts = { ...opts, preload: opts.preload ?? [] };
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.size; i++) this.slots.push(this.startWorker(i));
    discardPrestarted(); // threads started ahead that this pool did not need
    for (let i = 0; i < this.size; i++) for (let j = i + 1; j < this.size; j++) await this.linkPair(i, j);
    await Promise.all(this.slots.map((s) => s.control.preload(this.opts.preload)));
  }

  private startWorker(index: number): Slot {
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = { ...this.opts, index, workers: this.size, control: port2 };
    // A thread started ahead (runtime/threads/prestart.ts) has booted and loaded the kernel meanwhile.
    const pre = takePrestarted();
    if (pre) pre.init.postMessage(init, [port2]);
    const worker = pre?.worker ?? new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: init, transferList: [port2] });
    const control = Comlink.wrap<WorkerControl>(nodeEndpoint(port1 as never));
    const slot: Slot = { worker, control, alive: true };
    worker.on('message', (batch: unknown[]) => this.host.receiveBatch(batch));
    worker.on('error', (err) => this.died(index, slot, `uncaught ${err?.message ?? err}`));
    worker.on('exit', (code) => this.died(index, slot, `exited with code ${code}`));
    this.host.links.set(index, worker);
    return slot;
  }

  private async linkPair(i: number, j: number): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    await Promise.all([
      this.slots[i].control.link(j, Comlink.transfer(port1, [port1 as never])),
      this.slots[j].control.link(i, Comlink.transfer(port2, [port2 as never])),
    ]);
  }

  private died(index: number, slot: Slot, reason: string): void {
    if (!slot.alive) return;
    slot.alive = false;
    (slot.control as unknown as { [Comlink.releaseProxy](): void })[Comlink.releaseProxy]?.();
    if (this.stopping) return;
    this.onDeath(index, reason);
    void this.replace(index);
  }

  /** A new worker takes the dead one's index; every thread is relinked, then told of the death. */
  private async replace(index: number): Promise<void> {
    const slot = this.startWorker(index);
    this.slots[index] = slot;
    try {
      for (let j = 0; j < this.size; j++) if (j !== index && this.slots[j].alive) await this.linkPair(index, j);
      await slot.control.preload(this.opts.preload);
    } catch {
      return; // died again while starting; its own exit handler replaces it
    }
    for (let j = 0; j < this.size; j++) if (j !== index && this.slots[j].alive) this.host.postHost(j, { t: 'thread-died', thread: index });
    this.host.onThreadDied(index);
    this.onRestarted(index);
  }

  snapshots(): Promise<HostSnapshot[]> {
    return Promise.all(this.slots.filter((s) => s.alive).map((s) => s.control.snapshot().catch((): HostSnapshot => ({ thread: -99, deadLetters: 0, quiet: { spawn: 0, stop: 0 }, recentDeadLetters: [], cells: [] }))));
  }

  /** Kills a worker thread for real (tests, fault drills). */
  async kill(index: number): Promise<void> {
    await this.slots[index].worker.terminate();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
