// Worker threads started before the system knows its options. A thread takes tens of milliseconds
// to boot and load the kernel; a command that will start an ActorSystem (`run`, a lottery server)
// starts its threads first and reads its configuration while they boot. Each waits on its own
// port for its WorkerInit (the pool posts it when it takes the thread); until then it only loads
// the kernel's modules and does not hold the process open. Threads not taken are terminated when
// the pool has started, or by `discardPrestarted` when the command fails before it.
// Imports nothing but node:worker_threads: it runs on the start-up's critical path.

import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';

export interface PrestartedWorker {
  worker: Worker;
  /** Where the pool posts the WorkerInit (with its control port transferred). */
  init: MessagePort;
  /** The thread died before it was taken (a broken installation): the pool starts a fresh one. */
  dead: boolean;
}

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);
const waiting: PrestartedWorker[] = [];

/** Starts `n` worker threads that wait for their WorkerInit (no-op for n ≤ 0). */
export function prestartWorkers(n: number): void {
  for (let i = 0; i < n; i++) {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(ENTRY, { workerData: { initPort: port2 }, transferList: [port2] });
    const w: PrestartedWorker = { worker, init: port1, dead: false };
    // Until taken, an error or exit only marks it; it must not keep the process alive either.
    const mark = (): void => {
      w.dead = true;
    };
    worker.once('error', mark).once('exit', mark);
    worker.unref();
    port1.unref();
    waiting.push(w);
  }
}

/**
 * Modules the waiting threads may start importing now (the actor modules of the subsystems a run
 * will likely use), before their WorkerInit names the real list; a wrong guess only costs loading.
 */
export function hintPreload(modules: string[]): void {
  if (modules.length === 0) return;
  for (const w of waiting) if (!w.dead) w.init.postMessage({ t: 'preload-hint', modules });
}

/** The next live prestarted thread (referenced again: it is the pool's now), or null. */
export function takePrestarted(): PrestartedWorker | null {
  for (let w = waiting.shift(); w !== undefined; w = waiting.shift()) {
    if (w.dead) continue;
    w.worker.removeAllListeners('error').removeAllListeners('exit');
    w.worker.ref();
    return w;
  }
  return null;
}

/** Terminates the threads nobody took. */
export function discardPrestarted(): void {
  for (const w of waiting.splice(0)) {
    w.init.close();
    void w.worker.terminate();
  }
}

/** How many prestarted threads are waiting (tests). */
export function prestartedCount(): number {
  return waiting.length;
}
