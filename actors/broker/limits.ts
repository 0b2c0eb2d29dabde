// The broker's configurable limits and node settings (broker.md §6.2, §11), as plain data so that
// the client path loads no schema library. `checkLimits` names the bad key on a wrong value.

import { DEFAULT_LIMITS, type BrokerLimits } from '../../protocols/broker/index.ts';

export interface ServerLimits extends BrokerLimits {
  maxTopics: number;
  maxClients: number;
  maxSubscriptionsPerClient: number;
  maxPendingMessages: number;
  maxPendingBytes: number;
  maxFrameBytes: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  ...DEFAULT_LIMITS,
  maxTopics: 10_000,
  maxClients: 100_000,
  maxSubscriptionsPerClient: 1_000,
  maxPendingMessages: 10_000,
  maxPendingBytes: 64 * 1024 * 1024,
  maxFrameBytes: 1 << 20,
};

/** How the server stores its state: `full` syncs every group commit, `normal` at checkpoints, `off` keeps everything in memory. */
export type Durability = 'full' | 'normal' | 'off';

/** TLS files of a link node (paths already resolved): wss:// needs them. */
export interface LinkTls {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  requireClientCert?: boolean;
}

/** How a broker side's own runtime node links (when the topology has no `nodes:` section to use). */
export interface LinkNodeSettings {
  /** This side's node name (server: `broker-server`; local broker: null = `lb-<lbId>`). */
  nodeName: string | null;
  /** File holding the node secret (resolved); null: $ACTOR_RUNTIME_NODE_SECRET, else a secret only this process knows. */
  secretFile: string | null;
  tls: LinkTls | null;
}

export interface ServerSettings {
  /** host:port or ws(s)://host:port of the link listener (port 0 picks a free one). */
  listen: string;
  /** `listen` as a node URL (ws://host:port unless wss:// was given). */
  listenUrl: string;
  link: LinkNodeSettings;
  dataDir: string;
  defaultTopics: string[];
  pushWindow: number;
  durability: Durability;
  /** Unused by the link since it runs on node links (authenticated by the node secret); kept for settings compatibility. */
  secret: string | null;
  limits: ServerLimits;
}

export interface LocalSettings {
  /** ws URL of the broker server. */
  server: string;
  /** The server's node name (what its node is called among the peers). */
  serverNode: string;
  link: LinkNodeSettings;
  dataDir: string;
  /** Unix socket path for CLI clients (default <dataDir>/lb.sock). */
  localSocket: string;
  secret: string | null;
  maxLocalClients: number;
  requestTimeoutMs: number;
  maxFrameBytes: number;
  limits: BrokerLimits;
  /** Link keep-alive: ping period; the link closes after three unanswered pings. */
  pingMs: number;
  /** host:port of the browser/remote ws endpoint; null (the default) keeps it off. */
  wsListen: string | null;
}

export const DEFAULT_SERVER: Omit<ServerSettings, 'limits' | 'listenUrl' | 'link'> = {
  listen: '127.0.0.1:7600',
  dataDir: './data/broker',
  defaultTopics: ['general'],
  pushWindow: 256,
  durability: 'full',
  secret: null,
};

/** The server's node name unless configured (every local broker dials it under this name). */
export const DEFAULT_SERVER_NODE = 'broker-server';

export const DEFAULT_LOCAL = {
  server: 'ws://127.0.0.1:7600',
  dataDir: './data/lb',
  maxLocalClients: 1_024,
  requestTimeoutMs: 10_000,
  pingMs: 10_000,
  secret: null,
} as const;

export class ConfigError extends Error {
  readonly exitCode = 2;
}

/** Checks that every limit is a positive integer; throws naming the key. */
export function checkLimits(l: Record<string, unknown>, where: string): void {
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new ConfigError(`${where}.${k}: expected a positive integer, found ${JSON.stringify(v)}`);
    }
  }
}
