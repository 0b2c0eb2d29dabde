// `run` starts its worker threads first of all, before the command line is even parsed: a thread
// takes tens of milliseconds to boot, and with a cached topology (runtime/kernel/topology-cache.ts)
// booting them is the longest part of the start. bin/actor-runtime.ts calls prestartForRun with the
// arguments after `run`; the threads boot while commander, the command and the topology load. A
// wrong guess (an option it does not know) costs a thread started or terminated later, nothing else.
// Imports only node:fs, node:os, the prestart module and the topology cache's reader (no yaml, no
// zod): it runs before everything else.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { prestartWorkers } from '../threads/prestart.ts';
import { readCachedTopology, type CachedTopology } from '../kernel/topology-cache.ts';

/** `run`'s options that take a value (runtime/cli/commands.ts): their value is not the topology. */
const WITH_VALUE = new Set(['--for', '--threads', '--control', '--stop-timeout', '--view', '--view-secret-file']);

let early = false;

/** Prestarts the threads `run <args>` will likely use (none for --help or without a file). */
export function prestartForRun(args: string[]): void {
  const guess = runArgsGuess(args);
  if (guess === null) return;
  prestartWorkers(threadsHint(guess.file, guess.threads));
  early = true;
}

/** The topology file and --threads of `run <args>` as commander will read them, or null (help, no file). */
export function runArgsGuess(args: string[]): { file: string; threads?: string } | null {
  let file: string | undefined;
  let threads: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') return null;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a : a.slice(0, eq);
      const value = eq < 0 ? (WITH_VALUE.has(name) ? args[++i] : undefined) : a.slice(eq + 1);
      if (name === '--threads') threads = value;
    } else file ??= a;
  }
  return file === undefined ? null : { file, threads };
}

/** True once after prestartForRun started the threads: `run` then does not start them again. */
export function takeEarlyPrestart(): boolean {
  const was = early;
  early = false;
  return was;
}

/** The cached topology threadsHint found, kept for planRun (run-plan.ts) so that it is read once. */
let looked: { file: string; text: string; hit: CachedTopology } | null = null;

/**
 * The worker threads a run will likely use, before the file is parsed: --threads, a top-level
 * `threads:` key, what the cached topology of the file says (runtime/kernel/topology-cache.ts: what
 * an adopter chose for a file without the key, e.g. none for a file of one dispatcher), or one per core.
 */
export function threadsHint(file: string, threads?: string): number {
  if (threads !== undefined) return Number(threads) || 0;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 0; // the reader reports it
  }
  const m = /^threads:\s*(\d+)\b/m.exec(text) ?? /^\s{0,4}"threads"\s*:\s*(\d+)/m.exec(text);
  if (m) return Number(m[1]);
  const hit = readCachedTopology(file, text);
  if (hit === null) return availableParallelism();
  looked = { file, text, hit };
  return hit.kernel.threads ?? availableParallelism();
}

/** The cached topology threadsHint read for this file with exactly this text, once; else null. */
export function takeLookedUpTopology(file: string, text: string): CachedTopology | null {
  const l = looked;
  looked = null;
  return l !== null && l.file === file && l.text === text ? l.hit : null;
}
