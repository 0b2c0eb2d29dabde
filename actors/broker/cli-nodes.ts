// `broker server` and `broker local`: start one node without a topology file; SIGINT/SIGTERM stop
// it gracefully (exit 0); a failed durable write stops the server with exit 1 (fail-stop, §7.7).

import { localSettings, serverSettings, type LinkInput } from './settings.ts';
import type { Durability } from './limits.ts';

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) return;
    stopping = true;
    void stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

function int(flag: string, v: string): number {
  if (!/^[0-9]+$/.test(v)) throw Object.assign(new Error(`${flag}: expected a positive integer, found ${JSON.stringify(v)}`), { exitCode: 2 });
  return Number(v);
}

/** The link node flags of either side. */
interface LinkFlags {
  nodeName?: string;
  secretFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  requireClientCert?: boolean;
}

function linkInput(o: LinkFlags): LinkInput {
  const tls = o.tlsCert !== undefined || o.tlsKey !== undefined || o.tlsCa !== undefined || o.requireClientCert === true
    ? { certFile: o.tlsCert, keyFile: o.tlsKey, caFile: o.tlsCa, requireClientCert: o.requireClientCert }
    : undefined;
  return { nodeName: o.nodeName, secretFile: o.secretFile, tls };
}

export async function runServerCommand(o: LinkFlags & { listen: string; data: string; durability: string; defaultTopics: string; pushWindow: string }): Promise<void> {
  const settings = serverSettings({
    ...linkInput(o),
    listen: o.listen,
    dataDir: o.data,
    durability: o.durability as Durability,
    defaultTopics: o.defaultTopics.split(',').filter((t) => t !== ''),
    pushWindow: int('--push-window', o.pushWindow),
  }, 'broker server');
  const { startBrokerServer } = await import('./server/node.ts');
  const server = await startBrokerServer(settings, () => process.exit(1));
  onSignals(() => server.stop());
}

export async function runLocalCommand(o: LinkFlags & { server: string; serverNode: string; data: string; socket?: string; requestTimeout: string; wsListen?: string }): Promise<void> {
  const settings = localSettings({ ...linkInput(o), server: o.server, serverNode: o.serverNode, dataDir: o.data, localSocket: o.socket, requestTimeoutMs: int('--request-timeout', o.requestTimeout), wsListen: o.wsListen }, 'broker local');
  const { startLocalBroker } = await import('./local/node.ts');
  const lb = await startLocalBroker(settings);
  onSignals(() => lb.stop());
}
