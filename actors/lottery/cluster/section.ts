// The `lottery` topology section across processes or machines:
//  - `processes: true`: the system that runs the topology becomes the core node `lottery-core`
//    (the BetStore and the DrawCoordinator stay in it, on the thread they always use) and starts
//    `servers` acceptor processes that reach them over node links. The system must not be a node
//    of its own already: the core's node is made here, listening on loopback with a secret
//    generated for this run (its acceptor processes are its only peers).
//  - one topology per node, with the topology's own `nodes:` section (its secret, its addresses):
//    `role: core` holds the store and the draw only; `role: acceptor` listens on `server.port`
//    and reaches them on the node `coreNode` (topologies/lottery-core.yaml, lottery-acceptor.yaml).

import type { ActorRef, ActorSystem, RunEnv } from '../../../runtime/index.ts';
import type { AcceptorMsg } from '../acceptor.ts';
import type { ServerSettings } from '../config.ts';
import { startServer } from '../server.ts';
import { coreNodeConfig, startCluster, withClusterSecret, type ClusterHandle } from './core.ts';

/** What the section needs of a server, however it is laid out. */
export interface SectionServer {
  port: number;
  drain(deadlineMs?: number): Promise<void>;
}

export interface NodeLayout {
  processes: boolean;
  role: 'server' | 'core' | 'acceptor';
  coreNode?: string;
}

export async function startClusterSection(system: ActorSystem, settings: ServerSettings, layout: NodeLayout, env: RunEnv): Promise<SectionServer> {
  if (settings.mode === 'echo') throw new Error('lottery: the echo mode runs in one process (no processes: true, no role)');
  if (layout.processes) {
    if (layout.role !== 'server') throw new Error('lottery: processes: true starts its own acceptor processes; it does not combine with role');
    const cluster = await startClusterInSystem(system, settings);
    // Acceptor processes that keep exiting end the run, as they end `lottery server --processes`.
    void cluster.gaveUp.then((why) => env.stop(1, `lottery: ${why}`));
    return cluster;
  }
  if (!system.node) throw new Error(`lottery.role: ${layout.role} needs the topology's nodes: section (this system is not a runtime node)`);
  if (layout.role === 'core') return startServer(system, { ...settings, servers: 0 });
  if (!layout.coreNode) throw new Error('lottery.coreNode: role acceptor needs the name of the node that holds the store and the draw');
  return startNodeAcceptor(system, settings, layout.coreNode);
}

export async function startClusterInSystem(system: ActorSystem, settings: ServerSettings): Promise<ClusterHandle> {
  if (system.node) throw new Error(`lottery.processes: this system is already the node ${system.node.name}; the multi-process lottery makes its own node (remove the topology's nodes: section, or use role: core / acceptor)`);
  const { RuntimeNode } = await import('../../../runtime/nodes/node.ts');
  const { secret, value: node } = await withClusterSecret(() => RuntimeNode.start(system, coreNodeConfig()));
  // Owned by the system from here: it stops the node after its actors.
  system.node = node;
  return startCluster(system, settings, secret);
}

/** One acceptor on this node, on `settings.port` (reusePort), with the store and draw on `core`. */
async function startNodeAcceptor(system: ActorSystem, settings: ServerSettings, core: string): Promise<SectionServer> {
  // Nothing is accepted before the store can be reached; a core that is not up yet is waited for.
  await system.node!.connected(core, 60_000);
  const { Acceptor } = await import('../acceptor.ts');
  const acceptor: ActorRef<AcceptorMsg> = system.spawn(Acceptor, {
    name: 'lottery-acceptor',
    thread: 'main',
    props: {
      index: 0,
      mode: settings.mode,
      host: settings.host,
      port: settings.port,
      listenBacklog: settings.listenBacklog,
      maxConnections: settings.maxConnections,
      agencies: settings.agencies,
      idleTimeoutMs: settings.idleTimeoutMs,
      winnersHoldMs: settings.winnersHoldMs,
      maxFrameBytes: settings.maxFrameBytes,
      loggingLevel: settings.loggingLevel,
      source: settings.source,
      store: { path: `${core}:/lottery/store`, thread: -1 },
      coordinator: { path: `${core}:/lottery/draw`, thread: -1 },
    },
  });
  const { port } = await acceptor.ask<{ port: number }>({ t: 'port' }, { timeoutMs: 10_000 });
  return {
    port,
    async drain(deadlineMs = 3000) {
      await acceptor.ask({ t: 'drain', deadlineMs }, { timeoutMs: deadlineMs + 500 }).catch(() => undefined);
    },
  };
}
