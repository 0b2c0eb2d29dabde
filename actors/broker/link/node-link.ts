// Starts the runtime node that carries a broker side's link (broker.md §5.2, §6.1): the server's
// node listens on the configured address; each local broker is its own node (named after its
// lbId) that dials the server's. The node secret (ACTOR_RUNTIME_NODE_SECRET) authenticates the
// link both ways; nothing of the broker's own secret is involved.

import type { ActorRef, ActorSystem } from '../../../runtime/index.ts';
import type { LinkNodeSettings } from '../limits.ts';
import type { FrameTransport, TransportEvents } from './transport.ts';
import { BROKER_LINK_ACTOR, LinkEndpoint, LocalLinkHub, ServerLinkHub, type LinkMsg, type NodeTransport } from './node-transport.ts';

/** The broker server's default node name: local brokers dial it under this name unless told otherwise. */
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

/** A small system of its own (no worker threads) that is this broker side's node. */
async function startSystem(name: string, node: NodeConfig, link: LinkNodeSettings): Promise<ActorSystem> {
  try {
    return await startOwnSystem(name, node, link);
  } catch (e) {
    // a missing secret or certificate file, an address in use: one line for the user, no stack
    throw Object.assign(new Error(`broker link node ${node.name}: ${(e as Error).message}`), { exitCode: 1 });
  }
}

async function startOwnSystem(name: string, node: NodeConfig, link: LinkNodeSettings): Promise<ActorSystem> {
  const { ActorSystem } = await import('../../../runtime/index.ts');
  const withLink: NodeConfig = { ...node, ...(link.tls ? { tls: link.tls } : {}) };
  if (link.secretFile !== null) return ActorSystem.start({ name, threads: 0, statsIntervalMs: 0, node: { ...withLink, secretFile: link.secretFile } });
  const { findSecret } = await import('../../../runtime/nodes/secret.ts');
  if (findSecret({}) !== null) return ActorSystem.start({ name, threads: 0, statsIntervalMs: 0, node: withLink });
  if (processSecret === null) {
    const { randomBytes } = await import('node:crypto');
    processSecret = randomBytes(32).toString('base64url');
    const { loggerFor } = await import('../../../runtime/log/log.ts');
    loggerFor('/broker/link').warn('no node secret (ACTOR_RUNTIME_NODE_SECRET or a secret file): the broker link accepts only brokers of this process');
  }
  process.env[PROCESS_SECRET_ENV] = processSecret;
  try {
    return await ActorSystem.start({ name, threads: 0, statsIntervalMs: 0, node: { ...withLink, secretEnv: PROCESS_SECRET_ENV } });
  } finally {
    delete process.env[PROCESS_SECRET_ENV];
  }
}

export interface ServerLinkNode {
  readonly port: number;
  /** The node's URL (where local brokers dial). */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The server's link endpoint: on `shared` (the topology's system, when it is a runtime node: its
 * `nodes:` section decides name, listen address, secret and TLS), else on a node of its own built
 * from the settings.
 */
export async function startServerLinkNode(
  s: { listenUrl: string; link: LinkNodeSettings },
  o: { maxFrameBytes: number; heartbeatMs: number },
  accept: (lb: string, bind: (events: TransportEvents) => NodeTransport) => void,
  shared: ActorSystem | null = null,
): Promise<ServerLinkNode> {
  const hub = new ServerLinkHub(o.maxFrameBytes, accept);
  if (shared?.node) {
    const url = shared.node.url;
    if (url === null) throw Object.assign(new Error('broker.server: the topology\'s nodes: section has no listen address, so no local broker could reach this server'), { exitCode: 2 });
    const ref = shared.spawn(LinkEndpoint, { name: BROKER_LINK_ACTOR, props: { hub }, thread: 'main' });
    return { port: Number(new URL(url).port), url, stop: () => shared.stopActor(ref).then(() => {}) };
  }
  const system = await startSystem('broker-server', {
    name: s.link.nodeName ?? SERVER_NODE,
    listen: s.listenUrl,
    heartbeatMs: o.heartbeatMs,
    downAfterMs: o.heartbeatMs * 3,
    keepWatchesMs: 0, // every drop ends the link's lives (what was in flight is resent)
    maxFrameBytes: nodeFrameCap(o.maxFrameBytes),
  }, s.link);
  system.spawn(LinkEndpoint, { name: BROKER_LINK_ACTOR, props: { hub }, thread: 'main' });
  const url = system.node!.url!;
  return { port: Number(new URL(url).port), url, stop: () => system.stop() };
}

export interface LocalLinkNode {
  dial(events: TransportEvents): Promise<FrameTransport>;
  stop(): Promise<void>;
}

/** A node name from the persisted lbId (node names allow letters, digits, _ . -). */
export function localNodeName(lbId: string): string {
  return `lb-${lbId.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 64);
}

/**
 * A local broker's link endpoint: on `shared` (the topology's node; the server becomes its peer
 * `serverNode` unless `nodes.peers` names it already), else on a node of its own.
 */
export async function startLocalLinkNode(
  s: { server: string; serverNode: string; link: LinkNodeSettings },
  lbId: string,
  o: { maxFrameBytes: number; heartbeatMs: number; connectTimeoutMs: number },
  shared: ActorSystem | null = null,
): Promise<LocalLinkNode> {
  const server = s.server.replace(/\/+$/, '');
  let system: ActorSystem;
  let stop: () => Promise<void>;
  let name = BROKER_LINK_ACTOR;
  if (shared?.node) {
    system = shared;
    if (!shared.node.describe().peers.some((p) => p.name === s.serverNode)) shared.node.addPeer(s.serverNode, server);
    name = `${BROKER_LINK_ACTOR}-${localNodeName(lbId)}`; // several local brokers may share the node
    stop = async () => {};
  } else {
    system = await startSystem(`broker-local-${lbId}`, {
      name: s.link.nodeName ?? localNodeName(lbId),
      peers: [{ name: s.serverNode, url: server }],
      heartbeatMs: o.heartbeatMs,
      downAfterMs: o.heartbeatMs * 3,
      keepWatchesMs: 0, // every drop ends the link's lives (what was in flight is resent)
      reconnect: RECONNECT,
      maxFrameBytes: nodeFrameCap(o.maxFrameBytes),
    }, s.link);
    stop = () => system.stop();
  }
  const node = system.node!;
  const hub = new LocalLinkHub(node.ref<LinkMsg>(`${s.serverNode}:/${BROKER_LINK_ACTOR}`), o.maxFrameBytes);
  const ref: ActorRef<LinkMsg> = system.spawn(LinkEndpoint, { name, props: { hub }, thread: 'main' });
  if (system === shared) stop = () => shared.stopActor(ref).then(() => {});
  return {
    async dial(events) {
      await node.connected(s.serverNode, o.connectTimeoutMs);
      return hub.dial(lbId, events);
    },
    stop,
  };
}
