// Public surface of the kernel.
export type * from './actor/types.ts';
export { defineActor, type ActorContext, type ActorDef, type Behavior, type SpawnOptions, type Reply, type DefOptions } from './actor/behavior.ts';
export { defineMachineActor, type MachineSetup } from './actor/machine.ts';
export { ActorSystem, type SystemOptions, type SystemSnapshot } from './kernel/system.ts';
export { ActorError } from './actor/errors.ts';
export { supervisors } from './supervision/supervision.ts';
export type { RuntimeEvent, StampedEvent } from './inspection/events.ts';
export { loggerFor } from './log/log.ts';
export { openStore, type Store, type StoreOptions, type SqlValue } from './storage/storage.ts';
export { registerSubsystem, type Subsystem, type TopologySection, type RunEnv, type SectionHandle } from './kernel/subsystem.ts';
