// `lottery run` starts its server process before its own command line has loaded: the server's
// start (a Node boot, the kernel, the store, ~80 ms) is the longest part of a run's start, and
// the launcher reaches runAll only ~25 ms after it could have spawned it (commander or the
// cached call, the subsystems, run.ts and its imports). bin/actor-runtime.ts calls
// startServerEarly with the arguments after `lottery run`; runAll then adopts that server
// (takeEarlyServer) when its options are the ones the early reading found, and otherwise stops
// it and starts its own. The spawn is synchronous: nothing asynchronous would run before the
// launcher's modules have loaded (module loading keeps the event loop from its I/O). So without
// --port the server picks a free port itself and tells it when it listens (its `ready` message).
//
// Only plain command lines start early: known options with valid values, server-first, agencies
// in this process, no --processes, no --help. Anything else (an unknown option, a value runAll would refuse) starts
// nothing here, so every error is reported exactly as before, by commander or runAll. A folder
// this module created (the default temp folder) is removed again when the server is not used.
// Imports only Node's built-ins: it runs before everything else.

import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { freshServerBundle } from './server-bundle.ts';

// Node's modules as CommonJS objects: an ES import of one makes Node read every export it has,
// loading lazy parts too (node:fs's streams, ~3 ms here) before the server is even spawned.
const { spawn } = process.getBuiltinModule('node:child_process') as typeof import('node:child_process');
const { mkdtempSync, rmSync } = process.getBuiltinModule('node:fs') as typeof import('node:fs');
const { createServer } = process.getBuiltinModule('node:net') as typeof import('node:net');
const { tmpdir } = process.getBuiltinModule('node:os') as typeof import('node:os');
const { join } = process.getBuiltinModule('node:path') as typeof import('node:path');

/** The one server process of a run without --processes (server-main.ts: no command line to parse). */
export const SERVER_ENTRY = new URL('./server-main.ts', import.meta.url).pathname;

/** What the server process is started with: the part of `lottery run`'s options it depends on. */
export interface ServerPlan {
  agencies: number;
  servers: number;
  /** Given by --port; absent: a free one. */
  port?: number;
  /** Given by --server-data; absent: a fresh temp folder. */
  serverData?: string;
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  serverData: string;
  /** Its port once it listens (its `ready` message); null if it ended first. */
  ready: Promise<number | null>;
  /** Its exit code and signal, once its output is closed. */
  closed: Promise<[number | null, NodeJS.Signals | null]>;
  /** Started from the bundled server (server-bundle.ts); false: from server-main.ts. */
  bundled: boolean;
}

/** A free loopback port (here, not server.ts's: the launcher loads no server code). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1' }, () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** The environment `lottery run` gives its children (the server's own variables added by spawnServer). */
export function runEnv(progressBars: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', LOTTERY_PROGRESS: progressBars ? 'ipc' : 'none' };
  delete env.CLI_LOG_LEVEL;
  return env;
}

/** Starts the server process of a run (one process, its acceptors as threads; port 0: it picks one); its output is left unread until taken. */
export function spawnServer(plan: ServerPlan & { port: number; serverData: string }, env: NodeJS.ProcessEnv): ServerProcess {
  const options = { host: '127.0.0.1', port: String(plan.port), agencies: String(plan.agencies), servers: String(plan.servers), data: plan.serverData };
  // One acceptor: from the bundle when a fresh one is there (worker threads import modules by path).
  const bundle = plan.servers === 1 ? freshServerBundle() : null;
  const child = spawn(process.execPath, [bundle ?? SERVER_ENTRY], {
    env: { ...env, AGENCIES: String(plan.agencies), LOTTERY_LOG_SOURCE: 'server', LOTTERY_SERVER_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (code, signal) => resolve([code, signal])));
  const ready = new Promise<number | null>((resolve) => {
    child.on('message', (m: { t?: string; port?: number }) => m?.t === 'ready' && resolve(m.port ?? plan.port));
    void closed.then(() => resolve(null));
  });
  return { child, port: plan.port, serverData: plan.serverData, ready, closed, bundled: bundle !== null };
}

/** The plan of runAll's checked options (`agencies` and `servers` already numbers). */
export function planFor(o: { port?: string; serverData?: string }, agencies: number, servers: number): ServerPlan {
  return { agencies, servers, ...(o.port ? { port: Number(o.port) } : {}), ...(o.serverData !== undefined ? { serverData: o.serverData } : {}) };
}

/** `lottery run`'s options that take a value, and the flags without one. */
const WITH_VALUE = new Set(['--agencies', '--data', '--servers', '--batch-max', '--protocol', '--port', '--server-data', '--log-level', '--start-order']);
const FLAGS = new Set(['--no-check']);

/** The server a plain `lottery run <args>` will start, or null when this start is not plain (see the top). */
export function earlyPlan(args: readonly string[]): ServerPlan | null {
  const v = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (FLAGS.has(name) && eq < 0) continue;
    if (!WITH_VALUE.has(name)) return null; // --help, --processes, --agency-processes, a positional, anything unknown
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith('-')) || v.has(name)) return null;
    v.set(name, value);
  }
  const agencies = v.get('--agencies');
  const servers = v.get('--servers') ?? '1';
  const port = v.get('--port');
  if (agencies === undefined || !/^\d{1,6}$/.test(agencies) || !/^\d{1,2}$/.test(servers) || Number(servers) < 1 || Number(servers) > 64) return null;
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return null;
  if (!['A', 'B', 'MIXED'].includes((v.get('--protocol') ?? 'A').toUpperCase())) return null;
  if ((v.get('--start-order') ?? 'server-first') !== 'server-first') return null;
  const serverData = v.get('--server-data');
  if (serverData === '') return null;
  return { agencies: Number(agencies), servers: Number(servers), ...(port !== undefined ? { port: Number(port) } : {}), ...(serverData !== undefined ? { serverData } : {}) };
}

interface Early {
  plan: ServerPlan;
  server: ServerProcess;
  /** The temp folder made here (removed when the server is not used). */
  madeDir: string | null;
}

let early: Early | null = null;

/** Spawns the server of `lottery run <args>` now, when the command line is plain; runAll takes it. `interactive`: stdout and stderr are terminals. */
export function startServerEarly(args: readonly string[], interactive: boolean): void {
  const plan = earlyPlan(args);
  if (plan === null || early !== null) return;
  let madeDir: string | null = null;
  try {
    const serverData = plan.serverData ?? (madeDir = mkdtempSync(join(tmpdir(), 'lottery-run-')));
    const server = spawnServer({ ...plan, port: plan.port ?? 0, serverData }, runEnv(interactive && plan.agencies > 0)); // bars as runAll shows them
    early = { plan, server, madeDir };
  } catch {
    if (madeDir !== null) rmSync(madeDir, { recursive: true, force: true });
    // runAll starts its own, and reports what fails then
  }
}

const same = (a: ServerPlan, b: ServerPlan): boolean =>
  a.agencies === b.agencies && a.servers === b.servers && a.port === b.port && a.serverData === b.serverData;

/** The early server when it was started for exactly this plan; otherwise it is stopped (and null). */
export async function takeEarlyServer(plan: ServerPlan): Promise<ServerProcess | null> {
  const e = early;
  early = null;
  if (e === null) return null;
  if (same(e.plan, plan)) return e.server;
  await discard(e);
  return null;
}

/** runAll failed before starting its server: the early one (if any) is stopped and its temp folder removed. */
export async function discardEarlyServer(): Promise<void> {
  const e = early;
  early = null;
  if (e !== null) await discard(e);
}

async function discard(e: Early): Promise<void> {
  const s = e.server;
  // Its output was never read: drained now, or its 'close' would never come.
  s.child.stdout?.resume();
  s.child.stderr?.resume();
  s.child.kill('SIGTERM');
  await s.closed;
  if (e.madeDir !== null) rmSync(e.madeDir, { recursive: true, force: true });
}
