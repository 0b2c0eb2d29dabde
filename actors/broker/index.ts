// The broker subsystem (broker.md): its CLI commands and the `broker` topology section. Nothing
// heavy is imported here: every command and the section load their code when used.

import type { Subsystem } from '../../runtime/subsystem.ts';
import { registerBrokerCommands } from './cli.ts';

export const brokerSubsystem: Subsystem = {
  name: 'broker',
  commands(program) {
    registerBrokerCommands(program);
  },
};
