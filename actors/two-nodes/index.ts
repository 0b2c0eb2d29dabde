// The `twoNodes` topology section: the front half of the example pipeline (on node a) or its
// back half (on node b). See topologies/two-nodes-a.yaml and two-nodes-b.yaml.
import { z } from 'zod';
import type { Subsystem } from '../../runtime/index.ts';
import { Front, Back } from './pipeline.ts';

const schema = z.discriminatedUnion('role', [
  z.strictObject({
    role: z.literal('front'),
    /** The remote stage, node-qualified (e.g. `b:/pipeline/cube`). */
    remoteStage: z.string().regex(/^[A-Za-z0-9_.-]+:\//, 'a node address such as b:/pipeline/cube'),
    ratePerSecond: z.number().int().min(1).max(100_000).default(200),
    reportEveryMs: z.number().int().min(100).default(2000),
  }),
  z.strictObject({ role: z.literal('back') }),
]);

export const twoNodesSubsystem: Subsystem = {
  name: 'two-nodes',
  modules: [new URL('./pipeline.ts', import.meta.url).href],
  sections: [
    {
      key: 'twoNodes',
      schema,
      async start(system, c: z.infer<typeof schema>) {
        if (c.role === 'back') {
          system.spawn(Back, { name: 'pipeline', props: undefined, thread: 'main' });
          return { describe: () => ['back half of the two-node pipeline: /pipeline/cube'] };
        }
        system.spawn(Front, { name: 'pipeline', props: c, thread: 'main' });
        return { describe: () => [`front half of the two-node pipeline at ${c.ratePerSecond} jobs/s, through ${c.remoteStage}`] };
      },
    },
  ],
};
