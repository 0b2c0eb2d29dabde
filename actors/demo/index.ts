// The demo subsystem: a `demo` topology section that starts the supervised pipeline.
import { z } from 'zod';
import type { Subsystem } from '../../runtime/index.ts';
import { Pipeline, type DemoConfig } from './pipeline.ts';
import { ClientSupervisor, type ClientConfig } from './client.ts';

const schema = z.strictObject({
  ratePerSecond: z.number().int().min(1).max(1_000_000).default(200),
  crashEvery: z.number().int().min(2).default(97),
  reportEveryMs: z.number().int().min(100).default(2000),
  /** A client that keeps sending requests to a dispatcher (length32 framing, json protocol). */
  dispatcherClient: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(1).max(65535),
      ratePerSecond: z.number().int().min(1).max(100_000).default(100),
    })
    .optional(),
});

export const demoSubsystem: Subsystem = {
  name: 'demo',
  modules: [new URL('./pipeline.ts', import.meta.url).href, new URL('./client.ts', import.meta.url).href],
  sections: [
    {
      key: 'demo',
      schema,
      async start(system, config: DemoConfig & { dispatcherClient?: Omit<ClientConfig, 'reportEveryMs'> }) {
        const { dispatcherClient, ...pipeline } = config;
        system.spawn(Pipeline, { name: 'demo', props: pipeline, thread: 'main' });
        const lines = [`demo pipeline at ${config.ratePerSecond} jobs/s, a crash every ${config.crashEvery} jobs`];
        if (dispatcherClient) {
          system.spawn(ClientSupervisor, { name: 'demo-client', props: { ...dispatcherClient, reportEveryMs: config.reportEveryMs }, thread: 'main' });
          lines.push(`demo client sending ${dispatcherClient.ratePerSecond} requests/s to 127.0.0.1:${dispatcherClient.port}`);
        }
        return { describe: () => lines };
      },
    },
  ],
};
