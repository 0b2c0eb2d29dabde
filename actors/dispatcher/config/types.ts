// A dispatcher's configuration once resolved: every key present, paths absolute.

import type { DispatchFraming, DispatchProtocolName } from '../../../protocols/dispatcher/index.ts';

export type HandlerConfig =
  | { Kind: 'legacy-tx'; ServiceDelayMs: number }
  | { Kind: 'module'; Module: string; Export: string; Concurrency: number; Placement?: 'thread' | 'inline' }
  | { Kind: 'process'; Command: string; Args: string[]; Env: Record<string, string>; Cwd: string; Argv0?: string };

/** One dispatcher, every key resolved (cloneable: it travels to the I/O thread as props). */
export interface DispatcherConfig {
  Name: string;
  IP: string;
  Port: number;
  NumThreads: number;
  MaxConnections: number;
  StopTimeout: number;
  LogLevel: number;
  TuxCliProg: string | null;
  TuxCliSetup: string | null;
  IpcFile: string | null;
  Allow: string[] | null;
  Trace: string[];
  Framing: DispatchFraming;
  MaxFrameBytes: number;
  Protocol: DispatchProtocolName;
  Handler: HandlerConfig;
  Workers: { Min: number; Max: number; IdleMs: number };
  QueueCapacity: number;
  OnQueueFull: 'pause' | 'reject';
  MaxInFlightPerConnection: number;
  RequestTimeoutMs: number;
  IdleTimeoutMs: number;
  /** A frame must complete within this time of its first byte, else the connection closes (0: no limit). */
  FrameTimeoutMs: number;
  Backlog: number;
  EvictDuplicatePeer: boolean;
  Restart: { QuickDeathMs: number; MaxRestarts: number; WithinMs: number; OnGiveUp: 'stop-dispatcher' | 'stop-runtime' };
  LockFile: string;
  CreateLockFolder: boolean;
  /** `compat` for entries of the original layout, `native` otherwise. */
  profile: 'compat' | 'native';
  /** The file the entry came from (for messages). */
  source: string;
  /** Defaults taken for missing keys of the original layout (logged at start as warnings). */
  warnings: string[];
  /** Things accepted and ignored (logged at debug). */
  notes: string[];
}
