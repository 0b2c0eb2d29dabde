// The event dispatcher subsystem (eventdispatcher.md): the `eventdispatcher` topology section
// (routers and services), its actor modules, and the `message`, `signal`, `stop` and
// `check-certificate` commands. Nothing heavy is loaded until a section starts or a command runs.

import type { ActorSystem, RunEnv, Subsystem } from '../../runtime/index.ts';
import { sectionSchema, type EdSection } from './config.ts';
import { registerEventDispatcherCommands } from './commands.ts';

const here = (f: string): string => new URL(f, import.meta.url).href;

export const eventDispatcherSubsystem: Subsystem = {
  name: 'eventdispatcher',
  // Preloaded by every worker of every run: only what the topology section spawns on workers (the
  // example service); other actors' modules are imported on their first spawn.
  modules: [here('./example-service.ts')],
  sections: [
    {
      key: 'eventdispatcher',
      schema: sectionSchema,
      start: async (system: ActorSystem, config: EdSection, env: RunEnv) => (await import('./section.ts')).startSection(system, config, env),
    },
  ],
  commands: registerEventDispatcherCommands,
};
