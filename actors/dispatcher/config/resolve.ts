// Resolving configuration documents (dispatcher.md §2): the original config.json layout (loaded
// unchanged, compat defaults), the native `{"Version":2,"Dispatchers":[...]}` document, inline
// entries in a topology file, and per-dispatcher overrides, each to one `DispatcherConfig` per
// dispatcher with absolute paths and every default filled in. Never writes a file. Errors name
// the key path (`dispatch02.Port: ...`) and are raised as the kernel's ConfigError (exit 2).

import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, describeValue, formatIssue, readConfigText, readDocument } from '../../../runtime/config/index.ts';
import { legacyEntrySchema, nativeEntrySchema, type EntryInput } from './schema.ts';
import { isNativeDocument, legacyKey, looksLegacy, originalDefaults } from './layouts.ts';
import type { DispatcherConfig, HandlerConfig } from './types.ts';
import type { DispatchProtocolName } from '../../../protocols/dispatcher/index.ts';

function abs(base: string, p: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}

interface Pending {
  key: string;
  input: EntryInput;
  profile: 'compat' | 'native';
  base: string;
  source: string;
  warnings: string[];
  notes?: string[];
}

/**
 * Loads a configuration file (original layout or native document) and resolves it.
 * `overrides` are keyed by dispatcher name. Throws ConfigError; never writes the file.
 */
export function loadConfigFile(file: string, overrides: Record<string, EntryInput> = {}): DispatcherConfig[] {
  return resolveDocument(readDocument(file, { format: 'json' }), file, overrides);
}

/** Resolves an already parsed document (original layout or native). */
export function resolveDocument(raw: unknown, file: string, overrides: Record<string, EntryInput> = {}): DispatcherConfig[] {
  if (looksLegacy(raw)) return finish(collectLegacy(raw, file), overrides, file);
  if (isNativeDocument(raw)) return finish(collectNative(raw, file), overrides, file);
  throw new ConfigError(file, [
    raw !== null && typeof raw === 'object' && !Array.isArray(raw)
      ? '2_NumDispatchers: missing (expected an integer ≥ 1; the file is neither the original layout nor a {"Version":2,"Dispatchers":[...]} document)'
      : `expected a JSON object, found ${describeValue(raw)}`,
  ]);
}

/** Resolves inline topology entries (already shape-checked by the section schema). */
export function resolveInline(entries: EntryInput[], topologyFile: string, overrides: Record<string, EntryInput> = {}): DispatcherConfig[] {
  const base = dirname(topologyFile);
  const pending = entries.map((input, i) => ({ key: `instances[${i}]`, input, profile: 'native' as const, base, source: topologyFile, warnings: [] }));
  return finish(pending, overrides, topologyFile);
}

function collectLegacy(raw: Record<string, unknown>, file: string): Pending[] {
  const problems: string[] = [];
  const n = raw['2_NumDispatchers'];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new ConfigError(file, [`2_NumDispatchers: expected an integer ≥ 1, found ${describeValue(n)}`]);
  }
  const base = dirname(file);
  const out: Pending[] = [];
  for (let i = 1; i <= n; i++) {
    const key = legacyKey(i);
    const entry = raw[key];
    if (entry === undefined) {
      problems.push(`${key}: missing (2_NumDispatchers is ${n})`);
      continue;
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`${key}: expected an object, found ${describeValue(entry)}`);
      continue;
    }
    const r = legacyEntrySchema.safeParse(entry);
    if (!r.success) {
      for (const iss of r.error.issues) problems.push(formatIssue(iss, entry, { prefix: [key] }));
      continue;
    }
    const input = r.data as EntryInput;
    const warnings: string[] = [];
    const d = originalDefaults(base, key);
    for (const k of ['NumThreads', 'MaxConnections', 'StopTimeout', 'LogLevel', 'TuxCliProg', 'TuxCliSetup', 'IpcFile'] as const) {
      if (input[k] === undefined) {
        (input as Record<string, unknown>)[k] = d[k];
        warnings.push(`${key}.${k} missing; using ${JSON.stringify(d[k])}`);
      }
    }
    out.push({ key, input: { Name: key, ...input }, profile: 'compat', base, source: file, warnings });
  }
  if (problems.length) throw new ConfigError(file, problems);
  return out;
}

function collectNative(raw: Record<string, unknown>, file: string): Pending[] {
  const problems: string[] = [];
  if (raw.Version !== 2) problems.push(`Version: expected 2, found ${describeValue(raw.Version)}`);
  const list = raw.Dispatchers;
  if (!Array.isArray(list) || list.length === 0) {
    problems.push(`Dispatchers: expected a non-empty list of dispatchers, found ${describeValue(list)}`);
    throw new ConfigError(file, problems);
  }
  const base = dirname(file);
  const out: Pending[] = [];
  list.forEach((entry, i) => {
    const key = `Dispatchers[${i}]`;
    const r = nativeEntrySchema.safeParse(entry);
    if (!r.success) {
      for (const iss of r.error.issues) problems.push(formatIssue(iss, entry, { prefix: [key] }));
      return;
    }
    out.push({ key, input: r.data, profile: 'native', base, source: file, warnings: [] });
  });
  if (problems.length) throw new ConfigError(file, problems);
  return out;
}

function finish(pending: Pending[], overrides: Record<string, EntryInput>, file: string): DispatcherConfig[] {
  const problems: string[] = [];
  const out: DispatcherConfig[] = [];
  pending.forEach((p, i) => {
    const name = p.input.Name ?? (p.profile === 'compat' ? p.key : `dispatch${i + 1}`);
    const ov = overrides[name] ?? {};
    try {
      out.push(resolveEntry(p, name, ov));
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  });
  for (const name of Object.keys(overrides)) {
    if (!pending.some((p, i) => (p.input.Name ?? (p.profile === 'compat' ? p.key : `dispatch${i + 1}`)) === name)) {
      problems.push(`overrides.${name}: no dispatcher of that name`);
    }
  }
  // Uniqueness: names, IP:Port, lock files.
  const seen = { name: new Map<string, string>(), addr: new Map<string, string>(), lock: new Map<string, string>() };
  out.forEach((c, i) => {
    const key = pending[i].key;
    const check = (m: Map<string, string>, v: string, what: string): void => {
      const prev = m.get(v);
      if (prev !== undefined) problems.push(`${key}.${what}: ${v} is already used by ${prev}`);
      else m.set(v, key);
    };
    check(seen.name, c.Name, 'Name');
    check(seen.addr, `${c.IP}:${c.Port}`, 'Port');
    check(seen.lock, c.LockFile, c.profile === 'compat' && c.LockFile === c.IpcFile ? 'IpcFile' : 'LockFile');
  });
  if (problems.length) throw new ConfigError(file, problems);
  return out;
}

function resolveEntry(p: Pending, name: string, ov: EntryInput): DispatcherConfig {
  const problems: string[] = [];
  const key = p.key;
  const compat = p.profile === 'compat';
  // precedence: override > file > profile default
  const v = { ...p.input, ...ov } as EntryInput;
  if (v.IP === undefined) problems.push(`${key}.IP: missing (required)`);
  if (v.Port === undefined) problems.push(`${key}.Port: missing (required)`);
  if (!compat && v.Handler === undefined) problems.push(`${key}.Handler: missing (required for native entries)`);
  const base = p.base;
  const protocol: DispatchProtocolName = v.Protocol ?? (compat ? 'legacy-tx' : 'json');
  const tuxProg = v.TuxCliProg !== undefined ? abs(base, v.TuxCliProg) : null;
  const tuxSetup = v.TuxCliSetup !== undefined ? abs(base, v.TuxCliSetup) : null;
  const ipcFile = v.IpcFile !== undefined ? abs(base, v.IpcFile) : null;

  let handler: HandlerConfig = { Kind: 'legacy-tx', ServiceDelayMs: 1000 };
  const h = v.Handler;
  if (h?.Kind === 'legacy-tx') handler = { Kind: 'legacy-tx', ServiceDelayMs: h.ServiceDelayMs ?? 1000 };
  else if (h?.Kind === 'module') handler = { Kind: 'module', Module: pathToFileURL(abs(base, h.Module)).href, Export: h.Export ?? 'handle', Concurrency: h.Concurrency ?? 1, Placement: h.Placement ?? 'thread' };
  else if (h?.Kind === 'process') {
    const cwd = h.Cwd !== undefined ? abs(base, h.Cwd) : base;
    if (h.Command !== undefined) {
      const cmd = h.Command.includes('/') ? abs(base, h.Command) : h.Command;
      handler = { Kind: 'process', Command: cmd, Args: h.Args ?? [], Env: h.Env ?? {}, Cwd: cwd };
    } else if (tuxProg !== null) {
      // §4.5: run TuxCliProg with the original argument order.
      handler = { Kind: 'process', Command: tuxProg, Args: [ipcFile ?? '', tuxSetup ?? ''], Env: h.Env ?? {}, Cwd: cwd, Argv0: 'Fork_TuxCli' };
    } else problems.push(`${key}.Handler.Command: missing (and no TuxCliProg to run instead)`);
  }
  if (handler.Kind === 'legacy-tx' && protocol !== 'legacy-tx') problems.push(`${key}.Handler.Kind: the built-in legacy-tx service needs Protocol "legacy-tx", found Protocol "${protocol}"`);

  // Workers: explicit (entry or override) > TuxCliSetup (compat) > {1,1,60000}.
  let workers = { Min: 1, Max: 1, IdleMs: 60_000 };
  if (v.Workers !== undefined) {
    const min = v.Workers.Min ?? 1;
    workers = { Min: min, Max: v.Workers.Max ?? Math.max(min, v.Workers.Min ?? 1), IdleMs: v.Workers.IdleMs ?? 60_000 };
    if (workers.Max < workers.Min) problems.push(`${key}.Workers.Max: must be ≥ Workers.Min (${workers.Min}), found ${workers.Max}`);
  } else if (compat) {
    const setup = readTuxSetup(tuxSetup, `${key}.TuxCliSetup`);
    if (typeof setup === 'string') problems.push(setup);
    else {
      workers = { Min: setup.min, Max: setup.max, IdleMs: 60_000 };
      if (setup.note) (p.notes ??= []).push(setup.note);
    }
  }

  const lockDefault = compat && ipcFile !== null ? ipcFile : join(dirname(p.source), `${name}.lock`);
  if (problems.length) throw new ConfigError(p.source, problems);
  return {
    Name: name,
    IP: v.IP!,
    Port: v.Port!,
    NumThreads: v.NumThreads ?? 20,
    MaxConnections: v.MaxConnections ?? 1500,
    StopTimeout: v.StopTimeout ?? 30,
    LogLevel: v.LogLevel ?? 3,
    TuxCliProg: tuxProg,
    TuxCliSetup: tuxSetup,
    IpcFile: ipcFile,
    Allow: v.Allow ?? null,
    Trace: v.Trace ?? [],
    Framing: v.Framing ?? (compat ? 'legacy' : 'length32'),
    MaxFrameBytes: v.MaxFrameBytes ?? (compat ? 8192 : 65536),
    Protocol: protocol,
    Handler: handler,
    Workers: workers,
    QueueCapacity: v.QueueCapacity ?? 1000,
    OnQueueFull: v.OnQueueFull ?? 'pause',
    MaxInFlightPerConnection: v.MaxInFlightPerConnection ?? 32,
    RequestTimeoutMs: v.RequestTimeoutMs ?? 30_000,
    IdleTimeoutMs: v.IdleTimeoutMs ?? 0,
    FrameTimeoutMs: v.FrameTimeoutMs ?? 30_000,
    Backlog: v.Backlog ?? 511,
    EvictDuplicatePeer: v.EvictDuplicatePeer ?? true,
    Restart: { QuickDeathMs: v.Restart?.QuickDeathMs ?? 5000, MaxRestarts: v.Restart?.MaxRestarts ?? 5, WithinMs: v.Restart?.WithinMs ?? 60_000, OnGiveUp: v.Restart?.OnGiveUp ?? 'stop-dispatcher' },
    LockFile: v.LockFile !== undefined ? abs(base, v.LockFile) : lockDefault,
    CreateLockFolder: v.CreateLockFolder ?? false,
    profile: p.profile,
    source: p.source,
    warnings: p.warnings,
    notes: p.notes ?? [],
  };
}

/** Reads TuxCliSetup for the pool size (§2.2). Returns a problem text on error. */
function readTuxSetup(file: string | null, where: string): { min: number; max: number; note?: string } | string {
  if (file === null) return `${where}: missing (needed for the pool size unless Workers is set)`;
  let raw: unknown;
  try {
    raw = JSON.parse(readConfigText(file)); // noted: a cached topology depends on it
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return `${where}: cannot use ${file} (${code ?? `not valid JSON: ${(err as Error).message}`}); set Workers to do without it`;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return `${where}: ${file} must hold a JSON object, found ${describeValue(raw)}`;
  const o = raw as Record<string, unknown>;
  const min = o.min_tux_cli;
  if (typeof min !== 'number' || !Number.isInteger(min) || min < 1) return `${where}: ${file}: min_tux_cli: expected an integer ≥ 1, found ${describeValue(min)}`;
  let max = o.max_tux_cli;
  if (max === undefined) max = min;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < min) return `${where}: ${file}: max_tux_cli: expected an integer ≥ min_tux_cli (${min}), found ${describeValue(max)}`;
  return { min, max, note: o.xml_n_term !== undefined ? `${where}: xml_n_term is accepted and ignored` : undefined };
}
