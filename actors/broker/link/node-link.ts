// Starts the runtime node that carries a broker side's link (broker.md §5.2, §6.1): the server's
// node listens on the configured address; each local broker is its own node (named after its
// lbId) that dials the server's. The node secret (ACTOR_RUNTIME_NODE_SECRET) authenticates the
// link both ways; nothing of the broker's own secret is involved.

import type { ActorSystem } from '../../../runtime/index.ts';
import type { FrameTransport, TransportEvents } from './transport.ts';
import { BROKER_LINK_ACTOR, LinkEndpoint, LocalLinkHub, ServerLinkHub, type LinkMsg, type NodeTransport } from './node-transport.ts';

/** The broker server's node name: every local broker dials it under this name. */
export const SERVER_NODE = 'broker-server';

/** Node frames carry coalesced broker frames (up to ~256 KiB plus one frame), so allow a few frames' worth. */
function nodeFrameCap(maxFrameBytes: number): number {
  return Math.min(256 * 1024 * 1024, Math.max(16 * 1024 * 1024, 4 * maxFrameBytes));
}

// the same backoff as ServerLink's own (100 ms doubling to 10 s)
const RECONNECT = { initialMs: 100, factor: 2, maxMs: 10_000 };

type NodeConfig = NonNullable<NonNullable<Parameters<typeof ActorSystem.start>[0]>['node']>;

// Without a node secret, a server and local brokers in one process (the demo topology) still
// link, with a random secret only this process knows: no other process can link to them.
const PROCESS_SECRET_ENV = 'BROKER_LINK_PROCESS_SECRET';
let processSecret: string | null = null;

async function startSystem(name: string, node: NodeConfig): Promise<ActorSystem> {
  const { ActorSystem } = await import('../../../runtime/index.ts');
  const { findSecret } = await import('../../../runtime/nodes/secret.ts');
  if (findSecret({}) !== null) return ActorSystem.start({ name, threads: 0, statsIntervalMs: 0, node });
  if (processSecret === null) {
    const { randomBytes } = await import('node:crypto');
    processSecret = randomBytes(32).toString('base64url');
    const { loggerFor } = await import('../../../runtime/log/log.ts');
    loggerFor('/broker/link').warn('no node secret (ACTOR_RUNTIME_NODE_SECRET): the broker link accepts only brokers of this process');
  }
  process.env[PROCESS_SECRET_ENV] = processSecret;
  try {
    return await ActorSystem.start({ name, threads: 0, statsIntervalMs: 0, node: { ...node, secretEnv: PROCESS_SECRET_ENV } });
  } finally {
    delete process.env[PROCESS_SECRET_ENV];
  }
}

export interface ServerLinkNode {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startServerLinkNode(
  host: string,
  port: number,
  o: { maxFrameBytes: number; heartbeatMs: number },
  accept: (lb: string, bind: (events: TransportEvents) => NodeTransport) => void,
): Promise<ServerLinkNode> {
  const h = host.includes(':') ? `[${host}]` : host;
  const system = await startSystem('broker-server', {
    name: SERVER_NODE,
    listen: `ws://${h}:${port}`,
    heartbeatMs: o.heartbeatMs,
    downAfterMs: o.heartbeatMs * 3,
    keepWatchesMs: 0, // every drop ends the link's lives (what was in flight is resent)
    maxFrameBytes: nodeFrameCap(o.maxFrameBytes),
  });
  const hub = new ServerLinkHub(o.maxFrameBytes, accept);
  system.spawn(LinkEndpoint, { name: BROKER_LINK_ACTOR, props: { hub }, thread: 'main' });
  const actual = Number(new URL(system.node!.url!).port);
  return { port: actual, stop: () => system.stop() };
}

export interface LocalLinkNode {
  dial(events: TransportEvents): Promise<FrameTransport>;
  stop(): Promise<void>;
}

/** A node name from the persisted lbId (node names allow letters, digits, _ . -). */
export function localNodeName(lbId: string): string {
  return `lb-${lbId.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 64);
}

export async function startLocalLinkNode(server: string, lbId: string, o: { maxFrameBytes: number; heartbeatMs: number; connectTimeoutMs: number }): Promise<LocalLinkNode> {
  const system = await startSystem(`broker-local-${lbId}`, {
    name: localNodeName(lbId),
    peers: [{ name: SERVER_NODE, url: server.replace(/\/+$/, '') }],
    heartbeatMs: o.heartbeatMs,
    downAfterMs: o.heartbeatMs * 3,
    keepWatchesMs: 0, // every drop ends the link's lives (what was in flight is resent)
    reconnect: RECONNECT,
    maxFrameBytes: nodeFrameCap(o.maxFrameBytes),
  });
  const node = system.node!;
  const hub = new LocalLinkHub(node.ref<LinkMsg>(`${SERVER_NODE}:/${BROKER_LINK_ACTOR}`), o.maxFrameBytes);
  system.spawn(LinkEndpoint, { name: BROKER_LINK_ACTOR, props: { hub }, thread: 'main' });
  return {
    async dial(events) {
      await node.connected(SERVER_NODE, o.connectTimeoutMs);
      return hub.dial(lbId, events);
    },
    stop: () => system.stop(),
  };
}
