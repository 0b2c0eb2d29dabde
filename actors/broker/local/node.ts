// The local broker node (broker.md §5.2): IdMap, Inboxes and ServerLink (LocalBroker) behind the
// LocalGateway on a Unix socket.

import { mkdirSync } from 'node:fs';
import type { ActorSystem } from '../../../runtime/index.ts';
import { loggerFor } from '../../../runtime/log/log.ts';
import type { LocalSettings } from '../limits.ts';
import { LocalGateway } from './gateway.ts';
import { LocalBroker } from './local-broker.ts';
import { startLocalLinkNode, type LocalLinkNode } from '../link/node-link.ts';

export interface LocalHandle {
  readonly socket: string;
  readonly broker: LocalBroker;
  /** The browser/remote ws endpoint's port, or 0 when it is off. */
  readonly wsPort: number;
  stop(): Promise<void>;
}

/** `shared`: the topology's system; when it is a runtime node, the link runs on that node. */
export async function startLocalBroker(s: LocalSettings, shared: ActorSystem | null = null): Promise<LocalHandle> {
  const log = loggerFor('/broker/local');
  mkdirSync(s.dataDir, { recursive: true });
  let linkNode: LocalLinkNode | null = null;
  const broker = new LocalBroker(s, log, (events) => linkNode!.dial(events));
  try {
    linkNode = await startLocalLinkNode(s, broker.ids.lbId, { maxFrameBytes: s.maxFrameBytes, heartbeatMs: s.pingMs, connectTimeoutMs: 5_000 }, shared);
  } catch (e) {
    broker.stop();
    throw e;
  }
  const gateway = new LocalGateway(broker, log, s.maxFrameBytes);
  await gateway.listen(s.localSocket);
  let ws: { port: number; close(): Promise<void> } | null = null;
  if (s.wsListen !== null) {
    const { WsGateway } = await import('./ws-gateway.ts');
    const [, host, port] = /^(.*):(\d+)$/.exec(s.wsListen) as RegExpExecArray;
    ws = await WsGateway.listen(broker, log, { host, port: Number(port), secret: s.secret as string, maxFrameBytes: s.maxFrameBytes });
  }
  broker.start();
  log.info('local broker listening', { socket: s.localSocket, server: s.server, lbId: broker.ids.lbId });
  return {
    socket: s.localSocket,
    broker,
    wsPort: ws?.port ?? 0,
    async stop() {
      await ws?.close();
      broker.stop();
      await gateway.close();
      await linkNode?.stop();
    },
  };
}
