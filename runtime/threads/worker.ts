// Entry of every worker thread: one Host, mail to and from the other threads on plain ports, and
// a comlink endpoint for the control plane (links, snapshots, preloading).

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Host } from '../kernel/host.ts';
import { loggerFor, setLogLevel } from '../log/log.ts';
import type { WorkerControl, WorkerInit } from './threads.ts';

const init = workerData as WorkerInit;
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
    for (const m of modules) await import(m);
  },
  snapshot() {
    return host.snapshot();
  },
};

Comlink.expose(control, nodeEndpoint(init.control as never));
