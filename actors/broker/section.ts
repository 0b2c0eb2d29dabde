// Starts the `broker` section of a topology: the server node and/or local brokers of this process,
// and the demo feed. Stop order: demo actors, local brokers, then the server.

import type { ActorSystem } from '../../runtime/kernel/system.ts';
import type { RunEnv, SectionHandle } from '../../runtime/kernel/subsystem.ts';
import { ConfigError } from './limits.ts';
import { localSettings, serverSettings, type LocalInput, type ServerInput } from './settings.ts';

export interface BrokerSection {
  server?: ServerInput;
  local: LocalInput[];
  demo?: { topic: string; everyMs: number };
}

export async function startBrokerSection(system: ActorSystem, config: BrokerSection, env: RunEnv): Promise<SectionHandle> {
  const lines: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  // with a `nodes:` section the links run on the topology's node: its name, listen address,
  // secret and TLS; the broker's own link keys would contradict it
  const shared = system.node !== null ? system : null;
  if (shared) await needsEveryDrop(env.file);
  if (config.server) {
    if (shared) noOwnLink(config.server as Record<string, unknown>, 'broker.server', ['listen', 'nodeName', 'secretFile', 'tls'], 'nodes.name, nodes.listen, nodes.secretFile and nodes.tls');
    const s = serverSettings(config.server, 'broker.server', env.dir);
    const { startBrokerServer } = await import('./server/node.ts');
    const server = await startBrokerServer(s, (e) => env.stop(1, `broker server: durable write failed: ${e.message}`), shared);
    stops.unshift(() => server.stop());
    lines.push(`broker: server on ${shared ? `node ${shared.node!.name} (${shared.node!.url})` : s.listen.replace(/:0$/, `:${server.port}`)} (durability ${s.durability}, data in ${s.dataDir})`);
  }
  const sockets: string[] = [];
  for (const [i, l] of config.local.entries()) {
    if (shared) noOwnLink(l as Record<string, unknown>, `broker.local.${i}`, ['nodeName', 'secretFile', 'tls'], 'nodes.name, nodes.secretFile and nodes.tls');
    const s = localSettings(l, `broker.local.${i}`, env.dir);
    const { startLocalBroker } = await import('./local/node.ts');
    const lb = await startLocalBroker(s, shared);
    stops.unshift(() => lb.stop());
    sockets.push(lb.socket);
    lines.push(`broker: local broker on ${lb.socket} -> ${s.server} (node ${s.serverNode})`);
  }

  if (config.demo) {
    if (sockets.length === 0) throw Object.assign(new Error('broker.demo: needs a local broker in broker.local'), { exitCode: 2 });
    const { BrokerDemoFeed } = await import('./demo-feed.ts');
    for (const role of ['subscriber', 'publisher'] as const) {
      system.spawn(BrokerDemoFeed, { name: `broker-demo-${role}`, thread: 'main', props: { socket: sockets[0], topic: config.demo.topic, everyMs: config.demo.everyMs, role } });
    }
    lines.push(`broker: demo publishing progress to "${config.demo.topic}" every ${config.demo.everyMs} ms; a subscriber logs what it receives`);
  }
  return {
    async beforeStop() {
      for (const stop of stops) await stop();
    },
    describe: () => lines,
  };
}

function noOwnLink(o: Record<string, unknown>, where: string, keys: string[], instead: string): void {
  for (const k of keys) {
    if (o[k] !== undefined) throw new ConfigError(`${where}.${k}: this topology has a nodes: section, so the broker links run on that node; set ${instead} there instead`);
  }
}

/**
 * The broker resends what was in flight when a link life ends, so it must hear of every dropped
 * node link at once: the topology's node has to say `keepWatchesMs: 0` (watches otherwise outlive
 * a short drop, and frames lost in it would never be resent).
 */
async function needsEveryDrop(file: string): Promise<void> {
  const { readDocument } = await import('../../runtime/config/index.ts');
  const nodes = (readDocument(file) as { nodes?: { keepWatchesMs?: unknown } } | null)?.nodes;
  if (nodes?.keepWatchesMs !== 0) {
    throw new ConfigError('nodes.keepWatchesMs: the broker link runs on this node and resends what was in flight when a link drops, so it must hear of every drop: set keepWatchesMs: 0');
  }
}
