// Benchmark scenarios by name; each module exports `run(options)`. Loaded lazily so that
// `bench dispatcher` does not import the lottery.
import type { Scenario } from './types.ts';

export const scenarios: Record<string, () => Promise<{ run: Scenario }>> = {
  kernel: () => import('./kernel.ts'),
  dispatcher: () => import('./dispatcher.ts'),
  'dispatcher-module': () => import('./dispatcher-module.ts'),
  lottery: () => import('./lottery.ts'),
  codec: () => import('./codec.ts'),
  view: () => import('./view.ts'),
  eventdispatcher: () => import('./eventdispatcher.ts'),
  startup: () => import('./startup.ts'),
  'lottery-e2e': () => import('./lottery-e2e.ts'),
  nodes: () => import('./nodes.ts'),
  broker: () => import('./broker.ts'),
};
