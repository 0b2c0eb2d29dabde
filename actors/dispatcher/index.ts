// The dispatcher subsystem (dispatcher.md): a TCP request dispatcher built from supervised actors.
// Registers the `dispatchers` topology section, the adopter that lets `actor-runtime run` take the
// original config.json (recognised by `2_NumDispatchers`) or a native {"Version":2,...} file
// unchanged, and the `dispatcher default-config` command.

import { resolve } from 'node:path';
import type { ActorRef, ActorSystem, RunEnv, SectionHandle, Subsystem } from '../../runtime/index.ts';
import { TopologyError } from '../../runtime/topology.ts';
import {
  ConfigError,
  looksLegacy,
  isNativeDocument,
  loadConfigFile,
  resolveDocument,
  resolveInline,
  sectionSchema,
  type DispatcherConfig,
  type SectionConfig,
} from './config.ts';
import { DispatchersSection, setFatalHook, type StartFailure } from './supervisor.ts';
import type { SupMsg } from './messages.ts';
import { registerDispatcherCommands } from './commands.ts';

export { ConfigError, type DispatcherConfig } from './config.ts';

const here = (f: string): string => new URL(f, import.meta.url).href;

/** An error that carries the process exit code (2 configuration, 3 lock held / address in use). */
export class DispatcherStartError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'DispatcherStartError';
    this.exitCode = exitCode;
  }
}

/** Resolves a `dispatchers` section to one config per dispatcher (throws ConfigError, exit 2). */
export function resolveSection(config: SectionConfig, topologyFile: string, topologyDir: string): DispatcherConfig[] {
  const out: DispatcherConfig[] = [];
  if (config.config !== undefined) out.push(...loadConfigFile(resolve(topologyDir, config.config), config.overrides ?? {}));
  else if (config.overrides !== undefined && Object.keys(config.overrides).length > 0) {
    throw new ConfigError(topologyFile, ['dispatchers.overrides: only apply to the dispatchers of dispatchers.config, which is not set']);
  }
  if (config.instances !== undefined) out.push(...resolveInline(config.instances, topologyFile));
  const problems: string[] = [];
  if (out.length === 0) problems.push('dispatchers: nothing to run (set config or instances)');
  const names = new Set<string>();
  const addrs = new Set<string>();
  const locks = new Set<string>();
  for (const c of out) {
    if (names.has(c.Name)) problems.push(`dispatchers: two dispatchers are named ${c.Name}`);
    if (addrs.has(`${c.IP}:${c.Port}`)) problems.push(`dispatchers: ${c.Name}: ${c.IP}:${c.Port} is already used by another dispatcher`);
    if (locks.has(c.LockFile)) problems.push(`dispatchers: ${c.Name}: lock file ${c.LockFile} is already used by another dispatcher`);
    names.add(c.Name);
    addrs.add(`${c.IP}:${c.Port}`);
    locks.add(c.LockFile);
  }
  if (problems.length) throw new ConfigError(topologyFile, problems);
  return out;
}

let sections = 0;

export interface DispatcherEnv extends Omit<RunEnv, 'fail'> {
  /** Called when a dispatcher escalates (quick death): the runtime stops with this exit code. Tests may leave it out. */
  fail?(exitCode: number, reason: string): void;
}

export interface DispatcherSection extends SectionHandle {
  readonly path: string;
  readonly configs: DispatcherConfig[];
  supervisor(name: string): ActorRef<SupMsg>;
}

/** Starts every dispatcher of a section and waits until each listens (or one fails to start). */
export async function startDispatchers(system: ActorSystem, config: SectionConfig, env: DispatcherEnv): Promise<DispatcherSection> {
  let cfgs: DispatcherConfig[];
  try {
    cfgs = resolveSection(config, env.file, env.dir);
  } catch (err) {
    if (err instanceof ConfigError) throw new DispatcherStartError(err.message, 2);
    throw err;
  }
  const name = sections++ === 0 ? 'dispatchers' : `dispatchers-${sections}`;
  const path = `/${name}`;
  const threads = system.threads;
  const list = cfgs.map((cfg, i) => ({ cfg, thread: threads > 0 ? i % threads : ('main' as const) }));
  const refs = cfgs.map((c) => system.refFor<SupMsg>(`${path}/${c.Name}`, -1));

  let stopping = false;
  const onFatal = (dispatcher: string, reason: string): void => {
    env.log.error('dispatcher escalated; the runtime stops with exit code 1', { dispatcher, reason });
    if (env.fail) return env.fail(1, `${dispatcher}: ${reason}`);
    process.exitCode = 1;
    process.once('exit', () => {
      process.exitCode = 1;
    });
    if (process.listenerCount('SIGTERM') > 0) process.emit('SIGTERM', 'SIGTERM');
    else void handle.beforeStop!().then(() => system.stop());
  };
  setFatalHook(path, onFatal);
  const onUsr1 = (): void => {
    // SIGUSR1 starts a graceful drain like SIGTERM (§6.1): the handler only posts.
    if (process.listenerCount('SIGTERM') > 0) process.emit('SIGTERM', 'SIGTERM');
    else void handle.beforeStop!().then(() => system.stop());
  };
  process.on('SIGUSR1', onUsr1);

  const handle: DispatcherSection = {
    path,
    configs: cfgs,
    supervisor: (n) => system.refFor<SupMsg>(`${path}/${n}`, -1),
    async beforeStop() {
      if (stopping) return;
      stopping = true;
      process.off('SIGUSR1', onUsr1);
      await Promise.all(
        refs.map((r, i) => r.ask({ t: 'drain' }, { timeoutMs: cfgs[i].StopTimeout * 1000 + 3000 }).catch(() => null)),
      );
      setFatalHook(path, null);
    },
    describe() {
      return cfgs.map((c) => {
        const h = c.Handler;
        const what = h.Kind === 'module' ? `module ${h.Module}` : h.Kind === 'process' ? `process ${h.Command}` : `legacy-tx (${h.ServiceDelayMs} ms)`;
        return `dispatcher ${c.Name} on ${c.IP}:${c.Port}: ${c.Framing}/${c.Protocol}, ${what}, workers ${c.Workers.Min}..${c.Workers.Max}, ${c.NumThreads} groups, max ${c.MaxConnections} connections`;
      });
    },
  };

  const top = system.spawn(DispatchersSection, { name, props: { list }, thread: 'main' });
  const results = await Promise.allSettled(refs.map((r) => r.ask<string>({ t: 'await-ready' }, { timeoutMs: 60_000 })));
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [parseFailure(r.reason, cfgs[i].Name)] : []));
  if (failures.length > 0) {
    process.off('SIGUSR1', onUsr1);
    setFatalHook(path, null);
    await system.stopActor(top);
    throw new DispatcherStartError(failures.map((f) => f.error).join('; '), Math.max(...failures.map((f) => f.exitCode)));
  }
  return handle;
}

function parseFailure(reason: unknown, name: string): StartFailure {
  const msg = reason instanceof Error ? reason.message : String(reason);
  try {
    const f = JSON.parse(msg) as StartFailure;
    if (typeof f.exitCode === 'number' && typeof f.error === 'string') return f;
  } catch {
    // not a StartFailure
  }
  return { exitCode: 1, error: `${name}: ${msg}` };
}

function adoptFile(raw: unknown, file: string): Record<string, unknown> | null {
  if (!looksLegacy(raw) && !isNativeDocument(raw)) return null;
  const abs = resolve(file);
  let cfgs: DispatcherConfig[];
  try {
    cfgs = resolveDocument(raw, abs);
  } catch (err) {
    if (err instanceof ConfigError) throw new TopologyError(file, err.problems);
    throw err;
  }
  // One I/O thread per dispatcher (§1.3).
  return { name: 'dispatcher', threads: Math.max(1, Math.min(cfgs.length, 32)), dispatchers: { config: abs } };
}

export const dispatcherSubsystem: Subsystem = {
  name: 'dispatcher',
  // The I/O subtree runs on worker threads: they import its modules at start.
  modules: [here('./io.ts'), here('./acceptor.ts'), here('./group.ts'), here('./connection.ts'), here('./queue.ts'), here('./worker.ts')],
  sections: [{ key: 'dispatchers', schema: sectionSchema, start: startDispatchers }],
  adoptFile,
  commands: registerDispatcherCommands,
};
