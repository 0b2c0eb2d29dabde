// Public surface of the kernel.
export type * from './types.ts';
export { defineActor, type ActorContext, type ActorDef, type Behavior, type SpawnOptions, type Reply, type DefOptions } from './behavior.ts';
export { defineMachineActor, type MachineSetup } from './machine.ts';
export { ActorSystem, type SystemOptions, type SystemSnapshot } from './system.ts';
export { ActorError } from './errors.ts';
export { supervisors } from './supervision.ts';
export type { RuntimeEvent, StampedEvent } from './events.ts';
export { loggerFor } from './log.ts';
export { openStore, type Store, type StoreOptions, type SqlValue } from './storage.ts';
export { registerSubsystem, type Subsystem, type TopologySection, type RunEnv, type SectionHandle } from './subsystem.ts';
