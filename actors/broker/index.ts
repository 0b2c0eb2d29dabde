// The broker subsystem (broker.md): its CLI commands and the `broker` topology section. Nothing
// heavy is imported here: the commands and the section load their code when used, and the
// section's schema loads zod only when a topology is read.

import type { Subsystem, TopologySection } from '../../runtime/kernel/subsystem.ts';
import { registerBrokerCommands } from './cli.ts';
import { brokerSchema } from './schema.ts';
import type { BrokerSection } from './section.ts';

const section = {
  key: 'broker',
  get schema() {
    return brokerSchema();
  },
  async start(system, config, env) {
    const { startBrokerSection } = await import('./section.ts');
    return startBrokerSection(system, config, env);
  },
} as TopologySection<BrokerSection>;

export const brokerSubsystem: Subsystem = {
  name: 'broker',
  sections: [section],
  commands(program) {
    registerBrokerCommands(program);
  },
};
