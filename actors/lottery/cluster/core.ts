// The core of a multi-process lottery server (`servers: K` with `processes: true`, lottery.md §7):
// this process is the runtime node `lottery-core` and holds the one BetStore and the one
// DrawCoordinator (the LotteryServer tree with no acceptor of its own); K acceptor processes,
// supervised from here (supervisor.ts), listen on one port with `reusePort` and reach the store
// and the coordinator over their node links. The kernel spreads connections across the K
// listening sockets; when one process dies its socket closes, the others keep accepting, and an
// agency whose connection was cut reconnects to one of them (and is resent-recognised, protocol A).

import type { ActorSystem } from '../../../runtime/index.ts';
import { connectionSettings, freePort, startServer, type ServerHandle } from '../server.ts';
import type { ServerSettings } from '../config.ts';
import type { CoordinatorStatus } from '../coordinator.ts';
import { CLUSTER_SECRET_ENV, CORE_NODE, newClusterSecret, type AcceptorLaunch } from './launch.ts';
import { AcceptorCluster, acceptorEvents, setClusterSecret } from './supervisor.ts';

export const CORE_HEARTBEAT_MS = 500;

/** The `nodes:` settings of the core node (listening on loopback only: its peers are our children). */
export function coreNodeConfig(): { name: string; listen: string; secretEnv: string; heartbeatMs: number } {
  return { name: CORE_NODE, listen: 'ws://127.0.0.1:0', secretEnv: CLUSTER_SECRET_ENV, heartbeatMs: CORE_HEARTBEAT_MS };
}

/**
 * A fresh per-run secret, put in this process's environment only while `start` reads it (the
 * node reads its secret once, at start) and then removed, so no other child inherits it.
 */
export async function withClusterSecret<T>(start: () => Promise<T>): Promise<{ secret: string; value: T }> {
  const secret = newClusterSecret();
  process.env[CLUSTER_SECRET_ENV] = secret;
  try {
    return { secret, value: await start() };
  } finally {
    delete process.env[CLUSTER_SECRET_ENV];
  }
}

export interface ClusterHandle {
  port: number;
  /** The core node's link address (acceptor processes dial it). */
  coreUrl: string;
  server: ServerHandle;
  /** Stop every acceptor process (each drains: store exchanges in flight finish), then return. */
  drain(deadlineMs?: number): Promise<void>;
  status(): Promise<CoordinatorStatus | null>;
  /** Settles when the acceptor processes exit too often to go on (the reason). */
  gaveUp: Promise<string>;
}

/**
 * Starts the store, the coordinator and K acceptor processes in `system`, which must be the
 * runtime node `lottery-core` linked with `secret`; resolves once every acceptor listens.
 */
export async function startCluster(system: ActorSystem, settings: ServerSettings, secret: string, readyTimeoutMs = 30_000): Promise<ClusterHandle> {
  const node = system.node;
  if (!node || node.name !== CORE_NODE || !node.url) throw new Error(`a multi-process lottery server runs on the node ${CORE_NODE} with a listen address`);
  setClusterSecret(secret);
  const s = { ...settings };
  if (s.port === 0) s.port = await freePort(s.host === '0.0.0.0' ? '127.0.0.1' : s.host);
  const server = await startServer(system, { ...s, servers: 0 });
  const k = s.servers;
  const launches: AcceptorLaunch[] = Array.from({ length: k }, (_, i) => ({
    index: i,
    // A restarted process is a new node life under the same name (the core ends the old one).
    nodeName: `lottery-acceptor-${i}`,
    coreNode: CORE_NODE,
    coreUrl: node.url!,
    storePath: server.store.path,
    drawPath: server.coordinator.path,
    host: s.host,
    port: s.port,
    listenBacklog: s.listenBacklog,
    maxConnections: Math.max(1, Math.ceil(s.maxConnections / k)),
    heartbeatMs: CORE_HEARTBEAT_MS,
    drainMs: 2500,
    connection: connectionSettings(s),
  }));
  let giveUp!: (why: string) => void;
  const gaveUp = new Promise<string>((r) => (giveUp = r));
  acceptorEvents.once('gave-up', (e: { reason: string }) => giveUp(e.reason));
  const ready = new Set<number>();
  const allReady = new Promise<void>((resolve) => {
    const onReady = (e: { index: number }): void => {
      ready.add(e.index);
      if (ready.size < k) return;
      acceptorEvents.off('ready', onReady);
      resolve();
    };
    acceptorEvents.on('ready', onReady);
  });
  const cluster = system.spawn(AcceptorCluster, { name: 'lottery-acceptors', thread: 'main', props: { launches } });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    allReady.then(() => null),
    gaveUp,
    new Promise<string>((r) => (timer = setTimeout(() => r(`only ${ready.size} of ${k} acceptor processes listened within ${readyTimeoutMs} ms`), readyTimeoutMs))),
  ]);
  clearTimeout(timer);
  const drain = async (deadlineMs = 2500): Promise<void> => {
    await cluster.ask({ t: 'stop', deadlineMs }, { timeoutMs: deadlineMs + 4000 }).catch(() => undefined);
  };
  if (outcome !== null) {
    await drain(1000);
    throw new Error(outcome);
  }
  return { port: s.port, coreUrl: node.url, server, drain, status: () => server.status(), gaveUp };
}
