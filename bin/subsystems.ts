// The subsystems this executable carries. Each registers its CLI commands (light modules whose
// actions import what they use) and, lazily, its topology sections, actor modules and file
// adopters, imported only when a topology runs. The kernel never imports them itself.
import { registerLazySubsystem } from '../runtime/kernel/subsystem.ts';
import { registerDispatcherCommands } from '../actors/dispatcher/commands.ts';
import { registerLotteryCommands } from '../actors/lottery/cli.ts';
import { registerEventDispatcherCommands } from '../actors/eventdispatcher/commands.ts';
import { registerBrokerCommands } from '../actors/broker/cli.ts';
import { dispatcherWorkerModules } from '../actors/dispatcher/modules.ts';

registerLazySubsystem({ name: 'demo', sections: ['demo'], load: async () => (await import('../actors/demo/index.ts')).demoSubsystem });
registerLazySubsystem({ name: 'dispatcher', sections: ['dispatchers'], adopts: true, modules: dispatcherWorkerModules, starters: async () => (await import('../actors/dispatcher/section.ts')).dispatcherStarters, commands: registerDispatcherCommands, load: async () => (await import('../actors/dispatcher/index.ts')).dispatcherSubsystem });
registerLazySubsystem({ name: 'lottery', sections: ['lottery'], commands: registerLotteryCommands, load: async () => (await import('../actors/lottery/index.ts')).lotterySubsystem });
registerLazySubsystem({ name: 'eventdispatcher', sections: ['eventdispatcher'], commands: registerEventDispatcherCommands, load: async () => (await import('../actors/eventdispatcher/index.ts')).eventDispatcherSubsystem });
registerLazySubsystem({ name: 'two-nodes', sections: ['twoNodes'], load: async () => (await import('../actors/two-nodes/index.ts')).twoNodesSubsystem }); // the two-node example (topologies/two-nodes-*.yaml)
registerLazySubsystem({ name: 'broker', sections: ['broker'], commands: registerBrokerCommands, load: async () => (await import('../actors/broker/index.ts')).brokerSubsystem });
