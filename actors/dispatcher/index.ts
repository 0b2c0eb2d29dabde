// The dispatcher subsystem (dispatcher.md): a TCP request dispatcher built from supervised actors.
// Registers the `dispatchers` topology section, the adopter that lets `actor-runtime run` take the
// original config.json (recognised by `2_NumDispatchers`) or a native {"Version":2,...} file
// unchanged, and the `dispatcher default-config` command.

import { resolve } from 'node:path';
import type { ActorSystem, Subsystem } from '../../runtime/index.ts';
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
import { startResolvedDispatchers, type DispatcherEnv, type DispatcherSection } from './section.ts';
import { registerDispatcherCommands } from './commands.ts';
import { dispatcherWorkerModules } from './modules.ts';

export { ConfigError, type DispatcherConfig } from './config/index.ts';
export { startResolvedDispatchers, type DispatcherEnv, type DispatcherSection } from './section.ts';

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

/** Starts every dispatcher of a section and waits until each listens (or one fails to start). */
export async function startDispatchers(system: ActorSystem, config: SectionConfig, env: DispatcherEnv): Promise<DispatcherSection> {
  // A ConfigError carries exit code 2.
  return startResolvedDispatchers(system, resolveSection(config, env.file, env.dir), env);
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
  // One I/O thread per dispatcher (§1.3). A file of one dispatcher runs it on the main thread
  // (threads: 0, as the one-acceptor `lottery server` runs): the process is its isolation, as the
  // original's one process per dispatcher was, and no worker thread boots before it listens.
  // Several keep a worker thread each, so that one's crash leaves the others untouched (A17).
  return { name: 'dispatcher', threads: cfgs.length === 1 ? 0 : Math.min(cfgs.length, 32), dispatchers: { config: abs } };
}

export const dispatcherSubsystem: Subsystem = {
  name: 'dispatcher',
  // The I/O subtree runs on worker threads: they import its modules at start.
  modules: dispatcherWorkerModules,
  // Resolved (config.json read, defaults filled in) once validated: a cached topology keeps the result.
  sections: [{ key: 'dispatchers', schema: sectionSchema, prepare: (config: SectionConfig, at) => resolveSection(config, at.file, at.dir), start: startResolvedDispatchers }],
  adoptFile,
  commands: registerDispatcherCommands,
};
