// What the core of a multi-process lottery server hands each acceptor process: its settings
// (JSON in LOTTERY_ACCEPTOR, nothing secret in it) and the link secret (LOTTERY_CLUSTER_SECRET,
// generated per run by the launcher, in the child's environment only: never on a command line,
// never in a file). Light on purpose: the acceptor process imports it before the kernel.

import { randomBytes } from 'node:crypto';
import type { ConnectionProps } from '../connection.ts';

export const ACCEPTOR_ENV = 'LOTTERY_ACCEPTOR';
export const CLUSTER_SECRET_ENV = 'LOTTERY_CLUSTER_SECRET';
/** The core node's name: acceptor processes reach `lottery-core:/lottery/store` and `/draw`. */
export const CORE_NODE = 'lottery-core';
export const ACCEPTOR_ENTRY = new URL('./acceptor-main.ts', import.meta.url).pathname;

export interface AcceptorLaunch {
  index: number;
  nodeName: string;
  coreNode: string;
  coreUrl: string;
  storePath: string;
  drawPath: string;
  host: string;
  port: number;
  listenBacklog: number;
  maxConnections: number;
  heartbeatMs: number;
  /** How long a draining acceptor waits for the store exchanges in flight. */
  drainMs: number;
  /** Everything a Connection needs except the store and coordinator refs. */
  connection: Omit<ConnectionProps, 'store' | 'coordinator'>;
}

/** A fresh secret for one run's links (32 random bytes, hex). */
export function newClusterSecret(): string {
  return randomBytes(32).toString('hex');
}

/** The environment of acceptor process `launch.index`: the parent's, plus its settings and the secret. */
export function acceptorEnv(launch: AcceptorLaunch, secret: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, [ACCEPTOR_ENV]: JSON.stringify(launch), [CLUSTER_SECRET_ENV]: secret };
  // An agency gate or a secret meant for the launcher's own node is not the acceptor's business.
  delete env.LOTTERY_AGENCY_GATE;
  return env;
}
