// Helpers for the node-link tests: runtime nodes in child processes (real sockets, real kill -9)
// and in this process.
import { fork, type ChildProcess } from 'node:child_process';
import { ActorSystem } from '../../runtime/index.ts';
import type { NodesConfig } from '../../runtime/nodes/config.ts';
import { waitFor } from '../runtime/helpers.ts';

export { waitFor, rejectionCode, sleep } from '../runtime/helpers.ts';

export const SECRET = 'test-secret-0123456789abcdef';
process.env.ACTOR_RUNTIME_NODE_SECRET ??= SECRET;

const MAIN = new URL('./fixtures/node-main.ts', import.meta.url).pathname;

export interface NodeProcess {
  name: string;
  url: string;
  proc: ChildProcess;
  /** Everything the process wrote on stderr so far (its JSON log lines). */
  logs(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export type ChildConfig = Partial<NodesConfig> & {
  name: string;
  threads?: number;
  actors?: { name: string; kind: string; thread?: number | 'main'; mailbox?: { capacity: number; overflow: 'reject' } }[];
};

export async function startNodeProcess(cfg: ChildConfig, env: NodeJS.ProcessEnv = {}): Promise<NodeProcess> {
  const proc = fork(MAIN, [JSON.stringify({ heartbeatMs: 100, reconnect: '0.05', listen: 'ws://127.0.0.1:0', ...cfg })], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
  });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('message', (m: { url: string }) => resolve(m.url));
    proc.once('exit', (code) => reject(new Error(`node ${cfg.name} exited with ${code} before it was ready:\n${err}`)));
  });
  return {
    name: cfg.name,
    url,
    proc,
    logs: () => err,
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.send({ op: 'stop' });
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A node in this process (the test drives it directly). */
export async function startLocalNode(name: string, peers: { name: string; url: string }[], extra: Partial<NodesConfig> = {}, threads = 1): Promise<ActorSystem> {
  return ActorSystem.start({
    name: `test-${name}`,
    threads,
    statsIntervalMs: 0,
    logLevel: 'warn',
    preload: [new URL('./fixtures/actors.ts', import.meta.url).href, new URL('../runtime/fixtures/actors.ts', import.meta.url).href],
    node: { name, peers, heartbeatMs: 100, reconnect: '0.05', ...extra },
  });
}

/** Waits until the node's link to `peer` is up. */
export async function linked(sys: ActorSystem, peer: string, timeoutMs = 8000): Promise<void> {
  await waitFor(() => sys.node!.describe().peers.some((p) => p.name === peer && p.state === 'up'), `a link to ${peer}`, timeoutMs);
}
