// Dispatcher configuration (dispatcher.md §2): the original config.json layout (loaded unchanged,
// compat defaults), the native `{"Version":2,"Dispatchers":[...]}` document, inline entries in a
// topology file, and per-dispatcher overrides. Everything resolves to one `DispatcherConfig` per
// dispatcher with absolute paths and every default filled in. The loader never writes a file.
//
// Errors name the key path (`dispatch02.Port: ...`) and are raised as a ConfigError (exit 2).

import { readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { describeValue, formatPath } from '../../runtime/topology.ts';
import { DISPATCH_FRAMINGS, type DispatchFraming, type DispatchProtocolName } from '../../protocols/dispatcher/index.ts';

/** A configuration problem: exit code 2, one line per problem, each naming its key path. */
export class ConfigError extends Error {
  readonly exitCode = 2;
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(problems.map((p) => `${file}: ${p}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

// ---- field schemas ---------------------------------------------------------------------------

const intIn = (min: number, max = Number.MAX_SAFE_INTEGER) => {
  const m = max === Number.MAX_SAFE_INTEGER ? `expected an integer ≥ ${min}` : `expected an integer ${min}..${max}`;
  return z.number({ error: m }).int({ error: m }).min(min, { error: m }).max(max, { error: m });
};

function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  const addr = slash === -1 ? s : s.slice(0, slash);
  const kind = net.isIP(addr);
  if (kind === 0) return false;
  if (slash === -1) return true;
  const p = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p)) return false;
  return Number(p) <= (kind === 4 ? 32 : 128);
}

const ipSchema = z.string({ error: 'expected an IPv4/IPv6 literal, 0.0.0.0 or ::' }).refine((s) => net.isIP(s) !== 0, {
  error: 'expected an IPv4/IPv6 literal, 0.0.0.0 or ::',
});
const cidrList = z.array(z.string({ error: 'expected an address or CIDR string' }).refine(isCidr, { error: 'expected an IPv4/IPv6 address or CIDR (10.0.0.0/8, fd00::/8)' }), {
  error: 'expected a list of addresses or CIDRs',
});
const pathString = z.string({ error: 'expected a path string' }).min(1, { error: 'expected a non-empty path' });

const legacyHandler = z.strictObject({ Kind: z.literal('legacy-tx'), ServiceDelayMs: intIn(0).optional() });
const moduleHandler = z.strictObject({
  Kind: z.literal('module'),
  Module: pathString,
  Export: z.string().min(1).optional(),
  Concurrency: intIn(1, 100_000).optional(),
  /** `thread` (default): on handler threads; `inline`: on the I/O thread (non-blocking handlers, see inline-runner.ts). */
  Placement: z.enum(['thread', 'inline']).optional(),
});
const processHandler = z.strictObject({
  Kind: z.literal('process'),
  Command: pathString.optional(),
  Args: z.array(z.string()).optional(),
  Env: z.record(z.string(), z.string()).optional(),
  Cwd: pathString.optional(),
});
const handlerSchema = z.discriminatedUnion('Kind', [legacyHandler, moduleHandler, processHandler], {
  error: 'expected {"Kind": "legacy-tx" | "module" | "process", ...}',
});

const workersSchema = z
  .strictObject({ Min: intIn(1, 1024).optional(), Max: intIn(1, 1024).optional(), IdleMs: intIn(0).optional() })
  .refine((w) => w.Min === undefined || w.Max === undefined || w.Max >= w.Min, { error: 'Workers.Max must be ≥ Workers.Min', path: ['Max'] });
const restartSchema = z.strictObject({ QuickDeathMs: intIn(0).optional(), MaxRestarts: intIn(0).optional(), WithinMs: intIn(1).optional() });

/** Every key a dispatcher entry may carry (§2.1 and §2.5), all optional here. */
const entryShape = {
  Name: z.string({ error: 'expected a name' }).regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected letters, digits, _ . -' }).optional(),
  IP: ipSchema.optional(),
  Port: intIn(1, 65535).optional(),
  NumThreads: intIn(1, 4096).optional(),
  MaxConnections: intIn(1, 1_000_000).optional(),
  StopTimeout: intIn(0, 86_400).optional(),
  LogLevel: intIn(0, 6).optional(),
  TuxCliProg: pathString.optional(),
  TuxCliSetup: pathString.optional(),
  IpcFile: pathString.optional(),
  Allow: cidrList.optional(),
  Trace: cidrList.optional(),
  Framing: z.enum(DISPATCH_FRAMINGS as [DispatchFraming, ...DispatchFraming[]]).optional(),
  MaxFrameBytes: intIn(1, 64 * 1024 * 1024).optional(),
  Protocol: z.enum(['legacy-tx', 'json']).optional(),
  Handler: handlerSchema.optional(),
  Workers: workersSchema.optional(),
  QueueCapacity: intIn(1, 10_000_000).optional(),
  OnQueueFull: z.enum(['pause', 'reject']).optional(),
  MaxInFlightPerConnection: intIn(1, 1_000_000).optional(),
  RequestTimeoutMs: intIn(0).optional(),
  IdleTimeoutMs: intIn(0).optional(),
  Backlog: intIn(1, 65535).optional(),
  EvictDuplicatePeer: z.boolean({ error: 'expected true or false' }).optional(),
  Restart: restartSchema.optional(),
  LockFile: pathString.optional(),
};

export type EntryInput = z.infer<z.ZodObject<typeof entryShape>>;

/** Entries of the original layout: unknown keys allowed (as in the original). */
const legacyEntrySchema = z.looseObject(entryShape);
/** Native entries (native document, topology file): unknown keys are typos. */
export const nativeEntrySchema = z.strictObject(entryShape);
/** Overrides: any subset of the keys. */
export const overrideSchema = z.strictObject(entryShape);

/** The `dispatchers` section of a topology file. */
export const sectionSchema = z.strictObject({
  /** An original config.json or a native {"Version":2,...} document, relative to the topology file. */
  config: pathString.optional(),
  /** Per-dispatcher overrides, by dispatcher name (`dispatch01`...). Precedence: override > file > default. */
  overrides: z.record(z.string(), overrideSchema).optional(),
  /** Inline native entries. */
  instances: z.array(nativeEntrySchema).optional(),
});
export type SectionConfig = z.infer<typeof sectionSchema>;

// ---- resolved configuration ------------------------------------------------------------------

export type HandlerConfig =
  | { Kind: 'legacy-tx'; ServiceDelayMs: number }
  | { Kind: 'module'; Module: string; Export: string; Concurrency: number; Placement?: 'thread' | 'inline' }
  | { Kind: 'process'; Command: string; Args: string[]; Env: Record<string, string>; Cwd: string; Argv0?: string };

/** One dispatcher, every key resolved (cloneable: it travels to the I/O thread as props). */
export interface DispatcherConfig {
  Name: string;
  IP: string;
  Port: number;
  NumThreads: number;
  MaxConnections: number;
  StopTimeout: number;
  LogLevel: number;
  TuxCliProg: string | null;
  TuxCliSetup: string | null;
  IpcFile: string | null;
  Allow: string[] | null;
  Trace: string[];
  Framing: DispatchFraming;
  MaxFrameBytes: number;
  Protocol: DispatchProtocolName;
  Handler: HandlerConfig;
  Workers: { Min: number; Max: number; IdleMs: number };
  QueueCapacity: number;
  OnQueueFull: 'pause' | 'reject';
  MaxInFlightPerConnection: number;
  RequestTimeoutMs: number;
  IdleTimeoutMs: number;
  Backlog: number;
  EvictDuplicatePeer: boolean;
  Restart: { QuickDeathMs: number; MaxRestarts: number; WithinMs: number };
  LockFile: string;
  /** `compat` for entries of the original layout, `native` otherwise. */
  profile: 'compat' | 'native';
  /** The file the entry came from (for messages). */
  source: string;
  /** Defaults taken for missing keys of the original layout (logged at start as warnings). */
  warnings: string[];
  /** Things accepted and ignored (logged at debug). */
  notes: string[];
}

const COMPAT_INFO_DEFAULTS = { NumThreads: 20, MaxConnections: 1500, StopTimeout: 30, LogLevel: 3 };

/** The nine §2.1 keys' auto-generated defaults of the original (file-relative ones need cfgdir). */
export function originalDefaults(cfgdir: string, key: string) {
  return {
    IP: '127.0.0.1',
    Port: 9000,
    ...COMPAT_INFO_DEFAULTS,
    TuxCliProg: join(cfgdir, 'TuxCliProg'),
    TuxCliSetup: join(cfgdir, 'TuxCliSetup'),
    IpcFile: join(cfgdir, `ipcfile_${key}`),
  };
}

export function legacyKey(i: number): string {
  return i < 10 ? `dispatch0${i}` : `dispatch${i}`;
}

/** Whether a parsed document is the original layout (recognised by `2_NumDispatchers`). */
export function isLegacyDocument(raw: unknown): raw is Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && '2_NumDispatchers' in raw;
}

/**
 * Whether a parsed document looks like the original layout even without `2_NumDispatchers`
 * (`dispatchNN` or `1_Note`/`1_Version` keys): it is then reported as such (exit 2), not ignored.
 */
export function looksLegacy(raw: unknown): raw is Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return false;
  return Object.keys(raw).some((k) => k === '2_NumDispatchers' || k === '1_Note' || k === '1_Version' || /^dispatch\d{2,}$/.test(k));
}

/** Whether a parsed document is the native `{"Version":2,"Dispatchers":[...]}` document. */
export function isNativeDocument(raw: unknown): raw is Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'Dispatchers' in raw && 'Version' in raw;
}

function issueText(prefix: string, issue: z.core.$ZodIssue, root: unknown): string {
  const path = [...(prefix ? [prefix] : []), ...issue.path];
  const where = formatPath(path);
  let found: unknown = root;
  for (const p of issue.path) found = found !== null && typeof found === 'object' ? (found as Record<PropertyKey, unknown>)[p] : undefined;
  if (issue.code === 'unrecognized_keys') return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  let msg = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_value' && 'values' in issue) msg = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where}: ${msg}, found ${found === undefined ? 'nothing (the key is required)' : describeValue(found)}`;
}

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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [`not valid JSON: ${(err as Error).message}`]);
  }
  return resolveDocument(raw, file, overrides);
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
      for (const iss of r.error.issues) problems.push(issueText(key, iss, entry));
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
      for (const iss of r.error.issues) problems.push(issueText(key, iss, entry));
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
    Backlog: v.Backlog ?? 511,
    EvictDuplicatePeer: v.EvictDuplicatePeer ?? true,
    Restart: { QuickDeathMs: v.Restart?.QuickDeathMs ?? 5000, MaxRestarts: v.Restart?.MaxRestarts ?? 5, WithinMs: v.Restart?.WithinMs ?? 60_000 },
    LockFile: v.LockFile !== undefined ? abs(base, v.LockFile) : lockDefault,
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
    raw = JSON.parse(readFileSync(file, 'utf8'));
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

/** The original's auto-generated default file (jsoncpp styled: TAB indent, ` : `, sorted keys). */
export function defaultConfigText(cfgdir: string): string {
  const d = originalDefaults(cfgdir, 'dispatch01');
  const entry = { IP: d.IP, IpcFile: d.IpcFile, LogLevel: d.LogLevel, MaxConnections: d.MaxConnections, NumThreads: d.NumThreads, Port: d.Port, StopTimeout: d.StopTimeout, TuxCliProg: d.TuxCliProg, TuxCliSetup: d.TuxCliSetup };
  return styled({ '1_Note': 'Dispatcher configuration', '1_Version': 1, '2_NumDispatchers': 1, dispatch01: entry }, '') + '\n';
}

function styled(v: unknown, indent: string): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v).sort();
    const inner = indent + '\t';
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)} : ${styled((v as Record<string, unknown>)[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}
