// The broker server node (broker.md §5.2): the link acceptor (a runtime node listening on
// `listen`, authenticated by the node secret), one LbLink per local broker, and the core with its
// single-writer journal. A failed durable write stops the node (fail-stop, exit 1).

import { mkdirSync } from 'node:fs';
import type { ActorSystem } from '../../../runtime/index.ts';
import { loggerFor } from '../../../runtime/log/log.ts';
import type { ServerSettings } from '../limits.ts';
import { startServerLinkNode } from '../link/node-link.ts';
import { BrokerCore } from './core.ts';
import { openJournal } from './journal.ts';
import { LbLink } from './lb-link.ts';

export interface ServerHandle {
  readonly port: number;
  readonly core: BrokerCore;
  stop(): Promise<void>;
}

/** `shared`: the topology's system; when it is a runtime node, the link runs on that node. */
export async function startBrokerServer(s: ServerSettings, onFatal: (err: Error) => void, shared: ActorSystem | null = null): Promise<ServerHandle> {
  const log = loggerFor('/broker/server');
  if (s.durability !== 'off') mkdirSync(s.dataDir, { recursive: true });
  const journal = openJournal(s.dataDir, s.durability);
  const core = new BrokerCore(journal, {
    limits: s.limits,
    pushWindow: s.pushWindow,
    onFatal: (e) => {
      log.error('durable write failed; stopping the broker server', { err: e.message });
      onFatal(e);
    },
  }, s.defaultTopics);
  const links = new Set<LbLink>();
  const byLb = new Map<string, LbLink>();
  const linkNode = await startServerLinkNode(s, { maxFrameBytes: s.limits.maxFrameBytes, heartbeatMs: 10_000 }, (_lb, bind) => {
    const link = new LbLink(core, log, (lb, l) => {
      // a newer link of the same local broker replaces the old one (it reconnected)
      const old = byLb.get(lb);
      if (old && old !== l) old.drain('replaced by a newer link of the same local broker');
      byLb.set(lb, l);
    });
    links.add(link);
    link.transport = bind({
      frame: (f) => link.frame(f),
      closed: (reason) => {
        links.delete(link);
        if (link.lbId !== null && byLb.get(link.lbId) === link) byLb.delete(link.lbId);
        link.closed(reason);
      },
    });
  }, shared).catch((e: Error) => {
    journal.close();
    throw e;
  });
  const actual = linkNode.port;
  const u = new URL(linkNode.url);
  log.info('broker server listening', { listen: `${u.hostname.replace(/^\[|\]$/g, '')}:${actual}`, url: linkNode.url, dataDir: s.dataDir, durability: s.durability });
  return {
    port: actual,
    core,
    async stop() {
      for (const l of links) l.drain('the broker server is stopping');
      core.flush();
      core.pacer.stop();
      await linkNode.stop();
      journal.close();
    },
  };
}
