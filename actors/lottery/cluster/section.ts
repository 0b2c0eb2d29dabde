// `processes: true` in a topology's `lottery` section: the system that runs the topology becomes
// the core node `lottery-core` (the BetStore and the DrawCoordinator stay in it, on the thread
// they always use) and starts `servers` acceptor processes that reach them over node links.
// The system must not be a node of its own already: the core's node is made here, listening on
// loopback with a secret generated for this run (its acceptor processes are its only peers).

import type { ActorSystem } from '../../../runtime/index.ts';
import type { ServerSettings } from '../config.ts';
import { coreNodeConfig, startCluster, withClusterSecret, type ClusterHandle } from './core.ts';

export async function startClusterInSystem(system: ActorSystem, settings: ServerSettings): Promise<ClusterHandle> {
  if (system.node) throw new Error(`lottery.processes: this system is already the node ${system.node.name}; the multi-process lottery makes its own node (remove the topology's nodes: section)`);
  if (settings.mode === 'echo') throw new Error('lottery.processes: the echo mode runs in one process (set processes: false)');
  const { RuntimeNode } = await import('../../../runtime/nodes/node.ts');
  const { secret, value: node } = await withClusterSecret(() => RuntimeNode.start(system, coreNodeConfig()));
  // Owned by the system from here: it stops the node after its actors.
  system.node = node;
  return startCluster(system, settings, secret);
}
