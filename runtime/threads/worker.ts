// A worker thread's side: one Host, mail to and from the other threads on plain ports, and a
// comlink endpoint for the control plane (links, snapshots, preloading). Started by
// worker-entry.mjs with the thread's WorkerInit (from workerData, or later for a prestarted thread).

import { parentPort, type MessagePort } from 'node:worker_threads';
import { flushCompileCache } from 'node:module';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Host } from '../kernel/host.ts';
import { loggerFor, setLogLevel } from '../log/log.ts';
import type { WorkerControl, WorkerInit } from './threads.ts';

export function startWorker(init: WorkerInit): void {
  if (init.logLevel) setLogLevel(init.logLevel);

  const host: Host = new Host({
    thread: init.index,
    workers: init.workers,
    logger: loggerFor,
    defaultSupervisor: init.supervisor,
    onEvent: (ev) => host.postHost(-1, { t: 'events', list: [{ ...ev, at: Date.now() }] }),
  });

  const toMain = parentPort!;
  host.links.set(-1, toMain);
  host.placement = init.placement;
  if (init.statsIntervalMs) host.startStats(init.statsIntervalMs);
  toMain.on('message', (batch: unknown[]) => host.receiveBatch(batch));

  const control: WorkerControl = {
    link(thread: number, port: MessagePort) {
      port.on('message', (batch: unknown[]) => host.receiveBatch(batch));
      host.links.set(thread, port);
    },
    async preload(modules: string[]) {
      // In parallel: their shared imports load once either way, and no module waits for another's evaluation.
      await Promise.all(modules.map((m) => import(m)));
      flushCompileCache(); // this thread's modules reach the cache now, not at its exit (which kill -9 skips)
    },
    snapshot() {
      return host.snapshot();
    },
  };

  Comlink.expose(control, nodeEndpoint(init.control as never));
}
