// The parsed-command cache (fast start-up): to reach a command's action, the command line loads
// commander and every subsystem's command definitions and parses the arguments, and for the same
// arguments and the same code the outcome is always the same call: `name` of `module` with these
// arguments and options. A command whose action is a `moduleAction` records that call the first
// time (a derived cache, runtime/kernel/derived-cache.ts, stamped with every module that built the
// command line); a later start with the same arguments, working folder, Node and environment makes
// the call at once, loading neither commander nor any definition, while every one of those modules
// is unchanged. A parse that fails or prints help never reaches an action and is never cached; an
// action whose arguments are not plain JSON data is not cached. ACTOR_RUNTIME_CACHE=0 turns it off.

import { fileURLToPath } from 'node:url';
import { commandLineKey, derivationHolds, derivedCacheDir, isPlainJson, readEntry, textHash, watchDerivation, writeEntry, type Derivation } from '../kernel/derived-cache.ts';

/** Bumped when the entry's layout or meaning changes. */
const FORMAT = 2;
const KIND = 'commands';

/** Modules loaded before the watch starts that decide what is called: the entry and this file. */
const ENTRY_MODULES = [fileURLToPath(new URL('../../bin/actor-runtime.ts', import.meta.url)), fileURLToPath(import.meta.url)];

/** A command line's outcome: the action to call. */
export interface ParsedCall {
  module: string;
  name: string;
  params: unknown[];
}

const PROJECT = new URL('../../', import.meta.url).href;

let recording: { key: string; stop: () => Derivation } | null = null;

/** The recorded call for these arguments (after `actor-runtime`), or null (a miss: parse them). */
export function cachedCall(args: string[]): ParsedCall | null {
  const dir = derivedCacheDir(KIND);
  if (dir === null) return null;
  const key = commandLineKey(args, FORMAT);
  const e = readEntry(dir, textHash(key));
  if (e === null || e.key !== key || typeof e.module !== 'string' || typeof e.name !== 'string' || !Array.isArray(e.params) || !derivationHolds(e)) return null;
  // Only our own modules are ever called (what moduleAction records).
  if (!e.module.startsWith(PROJECT)) return null;
  return { module: e.module, name: e.name, params: e.params };
}

/** Makes the call (the same as the action would). */
export async function callParsed(call: ParsedCall): Promise<void> {
  const mod = (await import(call.module)) as Record<string, (...a: unknown[]) => unknown>;
  await mod[call.name](...call.params);
}

/**
 * The commands whose action is a moduleAction: only their command lines are watched (a hook on
 * every module resolution, which the other commands need not pay). A moduleAction of a command
 * missing here is simply never cached.
 */
const RECORDED = ['run', 'lottery agency', 'lottery server', 'lottery run'];

/** Before the command line is built for `args`: watch what it loads, so that the action it reaches can be recorded. */
export function recordCall(args: string[]): void {
  if (!RECORDED.some((c) => c.split(' ').every((w, i) => args[i] === w))) return;
  if (derivedCacheDir(KIND) === null) return;
  recording = { key: commandLineKey(args, FORMAT), stop: watchDerivation(ENTRY_MODULES) };
}

/**
 * A command's action: `name` exported by `module`, called with the command's arguments and options
 * (commander's Command, its last argument, is not passed: the call must not need it). The call is
 * recorded for the next start with the same command line.
 */
export function moduleAction(module: URL, name: string): (...a: unknown[]) => Promise<void> {
  return async (...a: unknown[]) => {
    const call: ParsedCall = { module: module.href, name, params: a.slice(0, -1) };
    const r = recording;
    recording = null;
    if (r !== null) {
      const d = r.stop(); // what the parse read (defaults from variables); the action's own reads come after
      const dir = derivedCacheDir(KIND);
      if (dir !== null && isPlainJson(call.params)) {
        try {
          writeEntry(dir, textHash(r.key), { format: FORMAT, key: r.key, env: d.env, envKey: d.envKey, ...call, code: d.stamp() });
        } catch {
          // a module gone since it loaded: not cached
        }
      }
    }
    await callParsed(call);
  };
}
