// The demo subsystem: a `demo` topology section that starts the supervised pipeline.
import { z } from 'zod';
import type { Subsystem } from '../../runtime/index.ts';
import { Pipeline, type DemoConfig } from './pipeline.ts';

const schema = z.strictObject({
  ratePerSecond: z.number().int().min(1).max(1_000_000).default(200),
  crashEvery: z.number().int().min(2).default(97),
  reportEveryMs: z.number().int().min(100).default(2000),
});

export const demoSubsystem: Subsystem = {
  name: 'demo',
  modules: [new URL('./pipeline.ts', import.meta.url).href],
  sections: [
    {
      key: 'demo',
      schema,
      async start(system, config: DemoConfig) {
        system.spawn(Pipeline, { name: 'demo', props: config, thread: 'main' });
        return { describe: () => [`demo pipeline at ${config.ratePerSecond} jobs/s, a crash every ${config.crashEvery} jobs`] };
      },
    },
  ],
};
