// The records a cell keeps about its children, and the row it shows to inspection.

import type { SpawnOptions } from './behavior.ts';
import type { Ref } from './ref.ts';

/** What a parent remembers about a child to restart or respawn it. */
export interface ChildRecord {
  name: string;
  ref: Ref<unknown>;
  module: string;
  defName: string;
  props: unknown;
  options: CellOptions;
  /** Restarts this parent has ordered; carried over when the child is respawned after its thread died. */
  restarts: number;
  /** When this parent last started or restarted the child (performance.now()), for its uptime. */
  startedAt: number;
}

export type CellOptions = Omit<SpawnOptions<unknown>, 'props'> & {
  /** Set when a lost child is spawned again: its restart count and why. */
  respawn?: { restarts: number; reason: string };
};

export interface CellInfo {
  path: string;
  parent: string | null;
  thread: number;
  state: string;
  kind: string;
  depth: number;
  processed: number;
  restarts: number;
  children: number;
  info?: unknown;
}
