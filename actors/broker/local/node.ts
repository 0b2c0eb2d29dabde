// The local broker node (broker.md §5.2): IdMap, Inboxes and ServerLink (LocalBroker) behind the
// LocalGateway on a Unix socket.

import { mkdirSync } from 'node:fs';
import { loggerFor } from '../../../runtime/log.ts';
import type { LocalSettings } from '../limits.ts';
import { LocalGateway } from './gateway.ts';
import { LocalBroker } from './local-broker.ts';

export interface LocalHandle {
  readonly socket: string;
  readonly broker: LocalBroker;
  stop(): Promise<void>;
}

export async function startLocalBroker(s: LocalSettings): Promise<LocalHandle> {
  const log = loggerFor('/broker/local');
  mkdirSync(s.dataDir, { recursive: true });
  const broker = new LocalBroker(s, log);
  const gateway = new LocalGateway(broker, log, s.maxFrameBytes);
  await gateway.listen(s.localSocket);
  broker.start();
  log.info('local broker listening', { socket: s.localSocket, server: s.server, lbId: broker.ids.lbId });
  return {
    socket: s.localSocket,
    broker,
    async stop() {
      broker.stop();
      await gateway.close();
    },
  };
}
