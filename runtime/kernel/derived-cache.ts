// What the start-up caches share (the validated topology, topology-cache.ts; the help text,
// runtime/cli/help-cache.ts): a result derived from inputs and from our code, kept in the folder
// Node's compile cache already uses (the project's own; never beside a user's file) and used again
// only while every input and every module that produced it is unchanged. An entry names the
// modules that produced it, watched while they loaded (ours by mtime and size, a package by its
// package.json), and is written aside then renamed (a reader sees the old entry or the new one).
// Anything doubtful (missing, unreadable, corrupt, another format, a changed module) is a miss.
// ACTOR_RUNTIME_CACHE=0 turns every such cache off; without a compile cache folder
// (NODE_DISABLE_COMPILE_CACHE=1, or the kernel used as a library) there is none.
// Loads no crypto module: a hit must cost far less than what it saves.

// Node's modules as CommonJS objects: code-bundle.ts uses this module on the way to `lottery run`'s
// early spawn, where an ES import of node:fs (its streams loaded too) costs ~3 ms.
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = process.getBuiltinModule('node:fs') as typeof import('node:fs');
const { registerHooks } = process.getBuiltinModule('node:module') as typeof import('node:module');
const { join } = process.getBuiltinModule('node:path') as typeof import('node:path');
const { fileURLToPath } = process.getBuiltinModule('node:url') as typeof import('node:url');

/** A module file with the mtime and size it had when the entry was written. */
export type CodeStamp = [file: string, mtimeMs: number, size: number];

/** The start-up caches' switch (these entries, the code bundles): off with ACTOR_RUNTIME_CACHE=0 and with Node's compile cache off. */
export function startupCachesOn(): boolean {
  const off = process.env.ACTOR_RUNTIME_CACHE;
  return off !== '0' && off !== 'false' && off !== 'off' && !process.env.NODE_DISABLE_COMPILE_CACHE;
}

/** The folder of one kind of derived cache, or null when caching is off. */
export function derivedCacheDir(kind: string): string | null {
  if (!startupCachesOn()) return null;
  const base = process.env.NODE_COMPILE_CACHE;
  return base ? join(base, `actor-runtime-${kind}`) : null;
}

/** A 64-bit hash of a string (two 32-bit FNV-1a style lanes): tells edits apart, no crypto module to load. */
export function textHash(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/**
 * What a command line's result may depend on besides the code and the environment: the
 * installation, its arguments, the working folder and Node's version. The environment is checked
 * apart (watchEnv): by the variables the run read, not all of them. Keyed on the whole environment,
 * every new shell (another OLDPWD, SHLVL, SSH_CLIENT port, terminal session id...) was a miss, and
 * `--help` in a new terminal took ~45 ms against ~25 for a hit.
 */
export function commandLineKey(args: string[], ...more: unknown[]): string {
  return JSON.stringify([INSTALLATION, args, process.cwd(), process.version, ...more]);
}

/** The environment a run depended on: the names it read, or null when it listed them all. */
export type EnvNames = string[] | null;

/**
 * The values of `names` (all variables for null), as one string to compare: from `env` (by default
 * the current environment).
 */
export function envKey(names: EnvNames, env: NodeJS.ProcessEnv = process.env): string {
  const pairs = names === null ? Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : names.map((n) => [n, env[n] ?? null]);
  return textHash(JSON.stringify(pairs));
}

/** Whether the environment still has the values an entry was derived with (false for anything malformed). */
export function envHolds(names: unknown, key: unknown): boolean {
  if (names !== null && !(Array.isArray(names) && names.every((n) => typeof n === 'string'))) return false;
  return typeof key === 'string' && envKey(names as EnvNames) === key;
}

/**
 * Watches which environment variables this thread reads from now on: process.env is put behind a
 * proxy that notes every name asked for. The returned function puts it back and gives the names
 * with their key (envKey) as they were when the watch began; listing the variables (a spread,
 * Object.keys, a child process given the environment) makes all of them count.
 */
export function watchEnv(): () => { names: EnvNames; key: string } {
  const real = process.env;
  const start = { ...real };
  const names = new Set<string>();
  let all = false;
  const note = (k: string | symbol): void => {
    if (typeof k === 'string') names.add(k);
  };
  process.env = new Proxy(real, {
    get: (t, k) => (note(k), Reflect.get(t, k)),
    has: (t, k) => (note(k), Reflect.has(t, k)),
    getOwnPropertyDescriptor: (t, k) => (note(k), Reflect.getOwnPropertyDescriptor(t, k)),
    set: (t, k, v) => Reflect.set(t, k, v),
    ownKeys: (t) => ((all = true), Reflect.ownKeys(t)),
  });
  return () => {
    process.env = real;
    const read: EnvNames = all ? null : [...names].sort();
    return { names: read, key: envKey(read, start) };
  };
}

/**
 * This installation's folder: part of every key, so that two installations sharing a cache folder
 * (another checkout, another version) never take each other's entries.
 */
export const INSTALLATION = fileURLToPath(new URL('../../', import.meta.url));

/** Only what JSON gives back unchanged: null, booleans, finite numbers, strings, arrays, plain objects (an undefined property is dropped alike). */
export function isPlainJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => x !== undefined && isPlainJson(x));
  if (typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(v as Record<string, unknown>).every((x) => x === undefined || isPlainJson(x));
}

/**
 * The entry `name` of a cache folder, parsed, or null. Only from a folder and a file of this user
 * that no one else may write: an entry names modules to import and files to run (the default
 * folder is in the shared temp folder, where another user could plant one).
 */
export function readEntry(dir: string, name: string): Record<string, unknown> | null {
  try {
    const file = join(dir, `${name}.json`);
    if (!ownedHere(dir) || !ownedHere(file)) return null;
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function ownedHere(path: string): boolean {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) return false;
  const uid = process.getuid?.();
  return (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
}

/** Writes an entry (silently nothing when the folder cannot be written: a cache is only faster). */
export function writeEntry(dir: string, name: string, entry: object): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const target = join(dir, `${name}.json`);
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, target);
    trim(dir);
  } catch {
    // a cache that cannot be written is only slower
  }
}

/** Entries kept per folder: one per command line or topology used, the least recently written go first. */
export const MAX_ENTRIES = 200;

function trim(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length <= MAX_ENTRIES) return;
  const aged = names.map((n) => ({ n, t: statSync(join(dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0 })).sort((a, b) => a.t - b.t);
  for (const { n } of aged.slice(0, names.length - MAX_ENTRIES)) rmSync(join(dir, n), { force: true });
}

/** The files' current stamps (throws when one is missing: nothing is cached then). */
export function stampFiles(files: Iterable<string>): CodeStamp[] {
  return [...new Set(files)].map((f) => {
    const st = statSync(f);
    return [f, st.mtimeMs, st.size];
  });
}

/** Whether every stamped file is still as stamped (false for anything malformed). */
export function stampsHold(stamps: unknown): boolean {
  if (!Array.isArray(stamps)) return false;
  for (const s of stamps) {
    if (!Array.isArray(s) || typeof s[0] !== 'string') return false;
    const st = statSync(s[0], { throwIfNoEntry: false });
    if (st === undefined || st.mtimeMs !== s[1] || st.size !== s[2]) return false;
  }
  return true;
}

/**
 * Watches the modules this thread loads from now on; the returned function stops watching and
 * gives their files (a package's module as its package.json: its version stands for its code).
 * Across calls in one process the files accumulate: a module loaded by an earlier watch is not
 * loaded again, yet what the next one derives may depend on it too.
 */
export function watchLoads(): () => string[] {
  // A resolve hook, not a load hook (no module's source passes through it); every module
  // resolved here is then loaded.
  const hooks = registerHooks({
    resolve(specifier, context, next) {
      const r = next(specifier, context);
      if (r.url.startsWith('file:')) seen.add(codeFile(fileURLToPath(r.url)));
      return r;
    },
  });
  return () => {
    hooks.deregister();
    return [...seen];
  };
}

const seen = new Set<string>();

/** What an entry records of the run it was derived from (watchDerivation), besides its result. */
export interface Derivation {
  /** The variables read (null: all of them) and their values' key, as envHolds checks them. */
  env: EnvNames;
  envKey: string;
  /** The modules loaded, those given as always read and this module, stamped (throws for a module gone since). */
  stamp(): CodeStamp[];
}

/**
 * Watches what a run derives its result from, from now on: the modules it loads (watchLoads) and the
 * environment variables it reads (watchEnv). The returned function stops both (always call it:
 * process.env is behind a proxy until then); `always`: modules loaded before the watch that decide
 * the result too. An entry written with these fields is checked by derivationHolds.
 */
export function watchDerivation(always: readonly string[]): () => Derivation {
  const stopLoads = watchLoads();
  const stopEnv = watchEnv();
  return () => {
    const modules = stopLoads();
    const env = stopEnv();
    return { env: env.names, envKey: env.key, stamp: () => stampFiles([...modules, ...always, DERIVED_CACHE_MODULE]) };
  };
}

/** Whether the environment and the code an entry was derived from still hold (false for anything malformed). */
export function derivationHolds(e: { env?: unknown; envKey?: unknown; code?: unknown }): boolean {
  return envHolds(e.env, e.envKey) && stampsHold(e.code);
}

function codeFile(path: string): string {
  const i = path.lastIndexOf('/node_modules/');
  if (i < 0) return path;
  const rest = path.slice(i + '/node_modules/'.length).split('/');
  const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  return `${path.slice(0, i)}/node_modules/${pkg}/package.json`;
}

/** This module's own file (every entry depends on the rules it was written by). */
export const DERIVED_CACHE_MODULE = fileURLToPath(import.meta.url);
