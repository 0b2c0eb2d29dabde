// How a subsystem plugs into the kernel without the kernel importing it: the executable
// (bin/actor-runtime.ts) registers each subsystem's topology section, actor modules, CLI commands
// and benchmark scenarios here.

import type { Command } from 'commander';
import type { z } from 'zod';
import type { ActorSystem } from './system.ts';
import type { Logger } from '../actor/types.ts';

export interface RunEnv {
  /** The topology file being run (absolute path), and its folder for resolving relative paths. */
  file: string;
  dir: string;
  log: Logger;
  /**
   * Ends the run: stops the whole runtime gracefully (sections' beforeStop, then the actors) and
   * makes the process exit with the highest code asked for (0: done, 1: an escalation).
   */
  stop(code: number, reason: string): void;
  /** @deprecated The former name of `stop`, kept while branches written against it are merged. */
  fail(code: number, reason: string): void;
}

export interface SectionHandle {
  /** Called on graceful shutdown before the actors are stopped (e.g. stop accepting). Optional. */
  beforeStop?(): Promise<void>;
  /** One-line summaries for the run banner. */
  describe?(): string[];
}

export interface TopologySection<C = unknown> {
  /** Key in the topology file, e.g. `dispatchers` or `lottery`. */
  key: string;
  schema: z.ZodType<C>;
  /**
   * What the start would otherwise work out from the configuration and the files it names (e.g.
   * the dispatcher resolving its config.json): done once the file is validated, and cached with it
   * (runtime/kernel/topology-cache.ts), so its result must be plain JSON data. Files are read
   * through runtime/config (readDocument, readConfigText) so that an edit to one is noticed. When
   * set, `start` receives its result instead of the validated section.
   */
  prepare?(config: C, at: { file: string; dir: string }): unknown;
  /** Spawns the section's actors into the running system. */
  start(system: ActorSystem, config: C, env: RunEnv): Promise<SectionHandle | void>;
}

export type SectionStart = TopologySection<any>['start'];

export interface Subsystem {
  name: string;
  sections?: TopologySection<any>[];
  /** Modules defining actors: every worker thread imports them at start. */
  modules?: string[];
  /** Adds the subsystem's CLI commands (e.g. `lottery agency`). */
  commands?(program: Command): void;
  /**
   * Recognises a whole file in a foreign layout (e.g. the dispatcher's original config.json) and
   * converts it to a topology document. Returns null when the file is not of that layout.
   */
  adoptFile?(raw: unknown, file: string): Record<string, unknown> | null;
}

const subsystems: Subsystem[] = [];

/**
 * A subsystem whose code is imported only when a command needs it (fast start-up): its CLI
 * commands come from a light module (their actions import what they use), and `load()` brings
 * the topology sections, actor modules and adopters when a topology is run.
 */
export interface LazySubsystem {
  name: string;
  commands?(program: Command): void;
  load(): Promise<Subsystem>;
  /** The topology keys of its sections: a run loads it only when the file has one of them. Unset: always loaded. */
  sections?: string[];
  /** It converts foreign files (`adoptFile`): always loaded, since any file may be one. */
  adopts?: boolean;
  /**
   * Its actor modules for worker threads (what `load()`'s `modules` will say), when a light module
   * can name them: `run` hints them to the waiting threads as soon as the file's keys are read.
   */
  modules?: string[];
  /**
   * Its sections' `start` by key, from modules that load no schema: all a run from a cached,
   * already validated topology needs (zod is not loaded). Unset: the whole subsystem is loaded.
   */
  starters?(): Promise<Record<string, SectionStart>>;
}

const lazy: LazySubsystem[] = [];

export function registerSubsystem(s: Subsystem): void {
  if (subsystems.some((x) => x.name === s.name)) throw new Error(`subsystem ${s.name} registered twice`);
  subsystems.push(s);
}

export function registerLazySubsystem(s: LazySubsystem): void {
  if (lazy.some((x) => x.name === s.name) || subsystems.some((x) => x.name === s.name)) throw new Error(`subsystem ${s.name} registered twice`);
  lazy.push(s);
}

/** The loaded subsystems (sections, modules, adopters). Call `loadSubsystems()` first. */
export function registeredSubsystems(): readonly Subsystem[] {
  return subsystems;
}

/** Every subsystem's command registration: a lazy one's light commands, or a loaded one's own. */
export function subsystemCommands(): ((program: Command) => void)[] {
  const out: ((program: Command) => void)[] = [];
  for (const l of lazy) if (l.commands) out.push(l.commands);
  for (const s of subsystems) if (s.commands && !lazy.some((l) => l.name === s.name)) out.push(s.commands.bind(s));
  return out;
}

const loading = new Map<string, Promise<void>>();

function loadOne(l: LazySubsystem): Promise<void> {
  let p = loading.get(l.name);
  if (!p) {
    p = l.load().then((s) => {
      if (subsystems.some((x) => x.name === s.name)) return;
      subsystems.push(s);
      // Registration order, whatever order the imports finish in: sections start in this order.
      const rank = (x: Subsystem): number => lazy.findIndex((l) => l.name === x.name);
      subsystems.sort((a, b) => rank(a) - rank(b));
    });
    loading.set(l.name, p);
  }
  return p;
}

/** The declared worker-thread modules of the lazy subsystems owning one of the document's top-level keys. */
export function declaredModulesFor(doc: unknown): string[] {
  const keys = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? Object.keys(doc) : [];
  return lazy.filter((l) => l.sections?.some((k) => keys.includes(k))).flatMap((l) => l.modules ?? []);
}

/** Imports every lazily registered subsystem (once): all sections known, e.g. to report a wrong key. */
export async function loadSubsystems(): Promise<void> {
  await Promise.all(lazy.map(loadOne));
}

/**
 * Imports the subsystems a topology document needs (fast start-up): those owning one of its
 * top-level keys, adopters, and those that did not declare their keys. True when every lazy
 * subsystem is now loaded (a failed validation is then final; otherwise load all and validate again).
 */
export async function loadSubsystemsFor(doc: unknown): Promise<boolean> {
  const keys = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? Object.keys(doc) : null;
  const wanted = keys === null ? lazy : lazy.filter((l) => l.adopts || l.sections === undefined || l.sections.some((k) => keys.includes(k)));
  await Promise.all(wanted.map(loadOne));
  return wanted.length === lazy.length;
}

/**
 * For a run from an already validated topology: each section's start, in registration order, and
 * the worker modules of their subsystems. A lazy subsystem with `starters` and declared `modules`
 * is not loaded (no schema, no zod); any other is loaded as for a validation.
 */
export async function startersFor(keys: string[]): Promise<{ starts: { key: string; start: SectionStart }[]; modules: string[] }> {
  const starts = new Map<string, SectionStart>();
  const modules: string[] = [];
  const wanted = lazy.filter((l) => l.sections === undefined || l.sections.some((k) => keys.includes(k)));
  await Promise.all(
    wanted.map(async (l) => {
      if (l.starters && l.modules) {
        for (const [k, start] of Object.entries(await l.starters())) if (keys.includes(k)) starts.set(k, start);
        modules.push(...l.modules);
      } else await loadOne(l);
    }),
  );
  for (const s of subsystems) {
    const mine = (s.sections ?? []).filter((sec) => keys.includes(sec.key) && !starts.has(sec.key));
    for (const sec of mine) starts.set(sec.key, sec.start.bind(sec));
    if (mine.length > 0) modules.push(...(s.modules ?? []));
  }
  const missing = keys.filter((k) => !starts.has(k));
  if (missing.length > 0) throw new Error(`no subsystem starts the section ${missing.join(', ')}`);
  return { starts: keys.map((key) => ({ key, start: starts.get(key)! })), modules: [...new Set(modules)] };
}
