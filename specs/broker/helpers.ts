// Helpers of the broker tests: a broker server and local brokers in this process (real ws link,
// real Unix socket, real store files), child processes of `actor-runtime broker …`, polling.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BrokerClient } from '../../actors/broker/client.ts';
import { startLocalBroker, type LocalHandle } from '../../actors/broker/local/node.ts';
import { startBrokerServer, type ServerHandle } from '../../actors/broker/server/node.ts';
import { localSettings, serverSettings, type LocalInput, type ServerInput } from '../../actors/broker/settings.ts';

process.env.LOG_LEVEL ??= 'warn';
// the broker's server link is a runtime node link: servers and local brokers share the node secret
process.env.ACTOR_RUNTIME_NODE_SECRET ??= 'broker-test-node-secret';

export const ENTRY = new URL('../../bin/actor-runtime.ts', import.meta.url).pathname;
export const NODE = process.execPath;

export function tmp(prefix = 'broker-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until truthy; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 5): Promise<NonNullable<T>> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface Cluster {
  dir: string;
  server: ServerHandle;
  lbs: LocalHandle[];
  clients: BrokerClient[];
  /** Stops the server only (the local brokers keep retrying). */
  stopServer(): Promise<void>;
  restartServer(): Promise<void>;
  stop(): Promise<void>;
}

/** A server and `n` local brokers in this process, each with one connected client. */
export async function startCluster(o: { lbs?: number; server?: ServerInput; local?: LocalInput; dir?: string } = {}): Promise<Cluster> {
  const dir = o.dir ?? tmp();
  const sIn: ServerInput = { listen: '127.0.0.1:0', dataDir: join(dir, 'srv'), ...o.server };
  let server = await startBrokerServer(serverSettings(sIn), (e) => {
    throw e;
  });
  const lbs: LocalHandle[] = [];
  const clients: BrokerClient[] = [];
  for (let i = 0; i < (o.lbs ?? 1); i++) {
    const lb = await startLocalBroker(localSettings({ server: `ws://127.0.0.1:${server.port}`, dataDir: join(dir, `lb${i}`), ...o.local }));
    lbs.push(lb);
    clients.push(await BrokerClient.connect({ socket: lb.socket }));
  }
  await waitFor(() => lbs.every((l) => l.broker.link.phase === 'open'), 'local broker links');
  const cluster: Cluster = {
    dir,
    get server() {
      return server;
    },
    lbs,
    clients,
    stopServer: () => server.stop(),
    async restartServer() {
      const port = server.port;
      server = await startBrokerServer(serverSettings({ ...sIn, listen: `127.0.0.1:${port}` }), (e) => {
        throw e;
      });
    },
    async stop() {
      for (const c of clients) c.close();
      for (const l of lbs) await l.stop();
      await server.stop();
    },
  };
  return cluster;
}

export interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number>;
}

/** `actor-runtime <args>` as a child process; stderr lines (pino JSON) are collected. */
export function cli(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(NODE, [ENTRY, ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const exited = new Promise<number>((r) => child.on('exit', (code, sig) => r(code ?? (sig === 'SIGKILL' ? 137 : 128))));
  return { child, lines, exited };
}

/** Runs one client command to completion: exit code, stdout, stderr. */
export function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [ENTRY, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code: code ?? 128, out, err }));
  });
}
