// The three handler kinds behind a `Worker` (dispatcher.md §4.2.4, §4.3, §4.4), one file each:
// - `legacy-tx`: the built-in service (reply after ServiceDelayMs), one request at a time;
// - `module`: an ES module on a dedicated worker thread, `Concurrency` requests at a time;
// - `process`: an external program over NDJSON stdio, one request at a time.
// Requests are never retried: a failure answers WORKER_FAILED.

import { protocolByName } from '../../../protocols/dispatcher/index.ts';
import type { DispatcherConfig } from '../config/index.ts';
import { LegacyRunner } from './legacy-tx.ts';
import { ModuleRunner } from './module.ts';
import { ProcessRunner } from './process.ts';
import type { Runner, RunnerHost } from './types.ts';

export type { Runner, RunnerHost } from './types.ts';

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
