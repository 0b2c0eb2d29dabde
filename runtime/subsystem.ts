// How a subsystem plugs into the kernel without the kernel importing it: the executable
// (bin/actor-runtime.ts) registers each subsystem's topology section, actor modules, CLI commands
// and benchmark scenarios here.

import type { Command } from 'commander';
import type { z } from 'zod';
import type { ActorSystem } from './system.ts';
import type { Logger } from './types.ts';

export interface RunEnv {
  /** The topology file being run (absolute path), and its folder for resolving relative paths. */
  file: string;
  dir: string;
  log: Logger;
  /**
   * Ends the run: stops the whole runtime gracefully (sections' beforeStop, then the actors) and
   * makes the process exit with the highest code asked for (0: done, 1: an escalation).
   */
  stop(code: number, reason: string): void;
}

export interface SectionHandle {
  /** Called on graceful shutdown before the actors are stopped (e.g. stop accepting). Optional. */
  beforeStop?(): Promise<void>;
  /** One-line summaries for the run banner. */
  describe?(): string[];
}

export interface TopologySection<C = unknown> {
  /** Key in the topology file, e.g. `dispatchers` or `lottery`. */
  key: string;
  schema: z.ZodType<C>;
  /** Spawns the section's actors into the running system. */
  start(system: ActorSystem, config: C, env: RunEnv): Promise<SectionHandle | void>;
}

export interface Subsystem {
  name: string;
  sections?: TopologySection<any>[];
  /** Modules defining actors: every worker thread imports them at start. */
  modules?: string[];
  /** Adds the subsystem's CLI commands (e.g. `lottery agency`). */
  commands?(program: Command): void;
  /**
   * Recognises a whole file in a foreign layout (e.g. the dispatcher's original config.json) and
   * converts it to a topology document. Returns null when the file is not of that layout.
   */
  adoptFile?(raw: unknown, file: string): Record<string, unknown> | null;
}

const subsystems: Subsystem[] = [];

export function registerSubsystem(s: Subsystem): void {
  if (subsystems.some((x) => x.name === s.name)) throw new Error(`subsystem ${s.name} registered twice`);
  subsystems.push(s);
}

export function registeredSubsystems(): readonly Subsystem[] {
  return subsystems;
}
