// The validated-topology cache (fast start-up): `run` validates a topology file with zod after
// parsing it with yaml, which costs more than the rest of its start. The result, plain JSON data,
// is kept in the folder Node's compile cache already uses (the project's own; never beside the
// user's file) and used again while nothing it came from has changed:
//   - the topology file's bytes, the path it was given by, its absolute path and the working folder;
//   - every file read while validating and preparing (runtime/config's readDocument and
//     readConfigText, e.g. the dispatcher's config.json), by the hash of its text, or its absence;
//   - the code that did it: every module loaded while validating (ours by mtime and size, a
//     package by its package.json), plus this file and the subsystem registry.
// Anything else (no entry, unreadable or corrupt, another format, any change above) is a miss:
// the file is validated in full as before, errors reported the same way, and a valid result is
// written again. ACTOR_RUNTIME_TOPOLOGY_CACHE=0 turns it off; without a compile cache folder
// (NODE_DISABLE_COMPILE_CACHE=1, or the kernel used as a library) there is none.
// Loads no zod, yaml or crypto: a hit must cost far less than what it saves.

import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelConfig } from './topology.ts';

/** Bumped when the entry's layout or meaning changes. */
const FORMAT = 1;

/** What a run needs of a validated topology, without the section objects (they hold schemas). */
export interface CachedTopology {
  adoptedBy?: string;
  kernel: KernelConfig;
  /** In start order: the section's key, its validated configuration, and its `prepare` result. */
  sections: { key: string; config: unknown; prepared?: unknown }[];
}

interface Entry {
  format: number;
  file: string;
  abs: string;
  cwd: string;
  text: string;
  reads: [file: string, hash: string | null][];
  code: [file: string, mtimeMs: number, size: number][];
  value: CachedTopology;
}

/** The cache's folder, or null when it is off. */
export function topologyCacheDir(): string | null {
  const off = process.env.ACTOR_RUNTIME_TOPOLOGY_CACHE;
  if (off === '0' || off === 'false' || off === 'off') return null;
  const base = process.env.NODE_COMPILE_CACHE;
  return base ? join(base, 'actor-runtime-topologies') : null;
}

/** A 64-bit hash of a string (two 32-bit FNV-1a lanes): tells edits apart, no crypto module to load. */
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

function entryPath(dir: string, file: string, abs: string): string {
  return join(dir, `${textHash(`${file}\0${abs}\0${process.cwd()}`)}.json`);
}

/** The cached topology for `file` whose bytes are `text`, or null (any doubt is a miss). */
export function readCachedTopology(file: string, text: string): CachedTopology | null {
  const dir = topologyCacheDir();
  if (dir === null) return null;
  const abs = resolve(file);
  try {
    const e = JSON.parse(readFileSync(entryPath(dir, file, abs), 'utf8')) as Entry;
    if (e.format !== FORMAT || e.file !== file || e.abs !== abs || e.cwd !== process.cwd() || e.text !== textHash(text)) return null;
    for (const [f, hash] of e.reads) if (readHash(f) !== hash) return null;
    for (const [f, mtimeMs, size] of e.code) {
      const st = statSync(f, { throwIfNoEntry: false });
      if (st === undefined || st.mtimeMs !== mtimeMs || st.size !== size) return null;
    }
    const v = e.value;
    if (v === null || typeof v !== 'object' || typeof v.kernel !== 'object' || !Array.isArray(v.sections)) return null;
    return v;
  } catch {
    return null;
  }
}

function readHash(file: string): string | null {
  try {
    return textHash(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Stores a validated topology (silently nothing when the cache is off, the value is not plain JSON
 * data, or the folder cannot be written). `code`: the modules the validation loaded (watchLoads).
 */
export function writeCachedTopology(file: string, text: string, value: CachedTopology, reads: [string, string | null][], code: string[]): void {
  const dir = topologyCacheDir();
  if (dir === null || !isPlainJson(value)) return;
  const abs = resolve(file);
  try {
    const files = [...new Set([...code, ...ALWAYS])];
    const entry: Entry = {
      format: FORMAT,
      file,
      abs,
      cwd: process.cwd(),
      text: textHash(text),
      reads: reads.map(([f, t]) => [f, t === null ? null : textHash(t)]),
      code: files.map((f) => {
        const st = statSync(f);
        return [f, st.mtimeMs, st.size];
      }),
      value,
    };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const target = entryPath(dir, file, abs);
    // Written aside and renamed: a run reading at the same time sees the old entry or the new one.
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, target);
  } catch {
    // a cache that cannot be written is only slower
  }
}

/** This module and the registry of subsystems: what decides which keys exist, loaded before any watch. */
const ALWAYS = [fileURLToPath(import.meta.url), fileURLToPath(new URL('./subsystem.ts', import.meta.url)), fileURLToPath(new URL('../../bin/subsystems.ts', import.meta.url))];

/**
 * Watches the modules this thread loads from now on; the returned function stops watching and
 * gives their files (a package's module as its package.json: its version stands for its code).
 * Across calls in one process the files accumulate: a module loaded by an earlier validation is
 * not loaded again, yet the next one depends on it too.
 */
export function watchLoads(): () => string[] {
  const hooks = registerHooks({
    load(url, context, next) {
      if (url.startsWith('file:')) seen.add(codeFile(fileURLToPath(url)));
      return next(url, context);
    },
  });
  return () => {
    hooks.deregister();
    return [...seen];
  };
}

const seen = new Set<string>();

function codeFile(path: string): string {
  const i = path.lastIndexOf('/node_modules/');
  if (i < 0) return path;
  const rest = path.slice(i + '/node_modules/'.length).split('/');
  const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  return `${path.slice(0, i)}/node_modules/${pkg}/package.json`;
}

/** Only what JSON gives back unchanged: null, booleans, finite numbers, strings, arrays, plain objects (an undefined property is dropped alike). */
function isPlainJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => x !== undefined && isPlainJson(x));
  if (typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(v as Record<string, unknown>).every((x) => x === undefined || isPlainJson(x));
}
