// The dispatcher subsystem (dispatcher.md): a TCP request dispatcher built from supervised actors.
// Registers the `dispatchers` topology section, the adopter that lets `actor-runtime run` take the
// original config.json (recognised by `2_NumDispatchers`) or a native {"Version":2,...} file
// unchanged, and the `dispatcher default-config` command.

import { resolve } from 'node:path';
import { CliError } from '../../runtime/cli/errors.ts';
// Kernel modules directly (not runtime/index.ts, runtime/io/index.ts): the main thread's start-up
// loads only what the section needs there (see supervisor.ts).
import type { ActorRef, ActorSystem, RunEnv, SectionHandle, Subsystem } from '../../runtime/index.ts';
import { ActorError } from '../../runtime/actor/errors.ts';
import { onSignal } from '../../runtime/io/signals.ts';
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
} from './config/index.ts';
import { DispatchersSection, type StartFailure } from './supervisor.ts';
import type { SupMsg } from './messages.ts';
import { registerDispatcherCommands } from './commands.ts';
import { dispatcherWorkerModules } from './modules.ts';

export { ConfigError, type DispatcherConfig } from './config/index.ts';

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

export interface DispatcherEnv extends Omit<RunEnv, 'stop' | 'fail'> {
  /** Ends the run (an escalation: 1; SIGUSR1: 0). Without it (tests, benchmarks) the section stops its own actors. */
  stop?(exitCode: number, reason: string): void;
}

export interface DispatcherSection extends SectionHandle {
  readonly path: string;
  readonly configs: DispatcherConfig[];
  supervisor(name: string): ActorRef<SupMsg>;
}

/** Starts every dispatcher of a section and waits until each listens (or one fails to start). */
export async function startDispatchers(system: ActorSystem, config: SectionConfig, env: DispatcherEnv): Promise<DispatcherSection> {
  // A ConfigError carries exit code 2.
  const cfgs = resolveSection(config, env.file, env.dir);
  const name = sections++ === 0 ? 'dispatchers' : `dispatchers-${sections}`;
  const path = `/${name}`;
  const threads = system.threads;
  const list = cfgs.map((cfg, i) => ({ cfg, thread: threads > 0 ? i % threads : ('main' as const) }));
  const refs = cfgs.map((c) => system.refFor<SupMsg>(`${path}/${c.Name}`, -1));

  let stopping = false;
  const endRun = (code: number, reason: string): void => {
    if (env.stop) return env.stop(code, reason);
    if (code !== 0) {
      process.exitCode = code;
      process.once('exit', () => {
        process.exitCode = code;
      });
    }
    void handle.beforeStop!().then(() => system.stop());
  };
  // A dispatcher that gives up has drained and stopped by now; the runtime follows only when its
  // configuration asks (Restart.OnGiveUp: stop-runtime), so one failing handler cuts no one else.
  const onFatal = (cfg: DispatcherConfig, reason: string): void => {
    if (cfg.Restart.OnGiveUp === 'stop-runtime') {
      env.log.error('dispatcher escalated; the runtime stops with exit code 1', { dispatcher: cfg.Name, reason });
      endRun(1, `${cfg.Name}: ${reason}`);
    } else env.log.error('dispatcher escalated and stopped; the rest of the runtime continues', { dispatcher: cfg.Name, reason });
  };
  // SIGUSR1 starts a graceful drain like SIGTERM (§6.1).
  const offUsr1 = onSignal('SIGUSR1', () => endRun(0, 'SIGUSR1'));

  const handle: DispatcherSection = {
    path,
    configs: cfgs,
    supervisor: (n) => system.refFor<SupMsg>(`${path}/${n}`, -1),
    async beforeStop() {
      if (stopping) return;
      stopping = true;
      offUsr1();
      await Promise.all(
        refs.map((r, i) => r.ask({ t: 'drain' }, { timeoutMs: cfgs[i].StopTimeout * 1000 + 3000 }).catch(() => null)),
      );
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
  // Answered only if the dispatcher escalates; a supervisor that stops rejects it (ignored).
  refs.forEach((r, i) => r.ask<string>({ t: 'await-escalation' }, { timeoutMs: Infinity }).then((reason) => onFatal(cfgs[i], reason), () => {}));
  const results = await Promise.allSettled(refs.map((r) => r.ask<string>({ t: 'await-ready' }, { timeoutMs: 60_000 })));
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [parseFailure(r.reason, cfgs[i].Name)] : []));
  if (failures.length > 0) {
    offUsr1();
    await system.stopActor(top);
    throw new CliError(failures.map((f) => f.error).join('; '), Math.max(...failures.map((f) => f.exitCode)));
  }
  return handle;
}

/** The structured failure a supervisor rejected `await-ready` with, or the error as text (exit 1). */
function parseFailure(reason: unknown, name: string): StartFailure {
  if (reason instanceof ActorError && reason.code === 'start-failed') return reason.data as StartFailure;
  return { exitCode: 1, error: `${name}: ${reason instanceof Error ? reason.message : String(reason)}` };
}

function adoptFile(raw: unknown, file: string): Record<string, unknown> | null {
  if (!looksLegacy(raw) && !isNativeDocument(raw)) return null;
  const abs = resolve(file);
  let cfgs: DispatcherConfig[];
  try {
    cfgs = resolveDocument(raw, abs);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(file, err.problems);
    throw err;
  }
  // One I/O thread per dispatcher (§1.3).
  return { name: 'dispatcher', threads: Math.max(1, Math.min(cfgs.length, 32)), dispatchers: { config: abs } };
}

export const dispatcherSubsystem: Subsystem = {
  name: 'dispatcher',
  // The I/O subtree runs on worker threads: they import its modules at start.
  modules: dispatcherWorkerModules,
  sections: [{ key: 'dispatchers', schema: sectionSchema, start: startDispatchers }],
  adoptFile,
  commands: registerDispatcherCommands,
};
