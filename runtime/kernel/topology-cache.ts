// The validated-topology cache (fast start-up): `run` validates a topology file with zod after
// parsing it with yaml, which costs more than the rest of its start. The result, plain JSON data,
// is kept as a derived cache (derived-cache.ts: beside Node's compile cache, never beside the
// user's file) and used again while nothing it came from has changed:
//   - the topology file's bytes, the path it was given by, its absolute path and the working folder;
//   - every file read while validating and preparing (runtime/config's readDocument and
//     readConfigText, e.g. the dispatcher's config.json), by the hash of its text, or its absence;
//   - the code that did it: every module loaded while validating, plus this file and the
//     subsystem registry.
// Anything else (no entry, unreadable or corrupt, another format, any change above) is a miss:
// the file is validated in full as before, errors reported the same way, and a valid result is
// written again. ACTOR_RUNTIME_CACHE=0 turns it off.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelConfig } from './topology.ts';
import { DERIVED_CACHE_MODULE, derivedCacheDir, isPlainJson, readEntry, stampFiles, stampsHold, textHash, writeEntry, type CodeStamp } from './derived-cache.ts';

export { textHash, watchLoads } from './derived-cache.ts';

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
  code: CodeStamp[];
  value: CachedTopology;
}

/** The cache's folder, or null when it is off. */
export function topologyCacheDir(): string | null {
  return derivedCacheDir('topologies');
}

function entryName(file: string, abs: string): string {
  return textHash(`${file}\0${abs}\0${process.cwd()}`);
}

/** The cached topology for `file` whose bytes are `text`, or null (any doubt is a miss). */
export function readCachedTopology(file: string, text: string): CachedTopology | null {
  const dir = topologyCacheDir();
  if (dir === null) return null;
  const abs = resolve(file);
  try {
    const e = readEntry(dir, entryName(file, abs)) as Entry | null;
    if (e === null || e.format !== FORMAT || e.file !== file || e.abs !== abs || e.cwd !== process.cwd() || e.text !== textHash(text)) return null;
    for (const [f, hash] of e.reads) if (readHash(f) !== hash) return null;
    if (!stampsHold(e.code)) return null;
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
export function writeCachedTopology(file: string, text: string, value: CachedTopology, reads: [string, string | null][], modules: string[]): void {
  const dir = topologyCacheDir();
  if (dir === null || !isPlainJson(value)) return;
  const abs = resolve(file);
  let code: CodeStamp[];
  try {
    code = stampFiles([...modules, ...ALWAYS]);
  } catch {
    return;
  }
  const entry: Entry = {
    format: FORMAT,
    file,
    abs,
    cwd: process.cwd(),
    text: textHash(text),
    reads: reads.map(([f, t]) => [f, t === null ? null : textHash(t)]),
    code,
    value,
  };
  writeEntry(dir, entryName(file, abs), entry);
}

/** This module, the rules of the derived caches and the registry of subsystems: what decides which keys exist, loaded before any watch. */
const ALWAYS = [fileURLToPath(import.meta.url), DERIVED_CACHE_MODULE, fileURLToPath(new URL('./subsystem.ts', import.meta.url)), fileURLToPath(new URL('../../bin/subsystems.ts', import.meta.url))];
