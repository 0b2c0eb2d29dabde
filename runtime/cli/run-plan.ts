// What `run` starts from a topology file: the kernel's settings, each section's start with what it
// receives, and the worker threads' modules. From the validated-topology cache when it has the file
// (runtime/kernel/topology-cache.ts: no yaml, no zod, no schema is loaded), else read, validated and
// prepared in full (and then cached). Either way the waiting worker threads hear of their modules
// as soon as they are known (runtime/threads/prestart.ts).

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { KernelConfig, Topology } from '../kernel/topology.ts';
import { declaredModulesFor, loadSubsystems, loadSubsystemsFor, registeredSubsystems, startersFor, type SectionStart } from '../kernel/subsystem.ts';
import { readCachedTopology, topologyCacheDir, watchLoads, writeCachedTopology, type CachedTopology } from '../kernel/topology-cache.ts';
import { hintPreload } from '../threads/prestart.ts';
import { CliError } from './errors.ts';
import { takeLookedUpTopology } from './run-early.ts';

export interface RunPlan {
  /** Absolute path of the topology file, and its folder. */
  file: string;
  dir: string;
  adoptedBy?: string;
  kernel: KernelConfig;
  /** In start order; `config` is what `start` receives (the section's `prepare` result when it has one). */
  sections: { key: string; start: SectionStart; config: unknown }[];
  /** The actor modules of the sections' subsystems, for every worker thread. */
  modules: string[];
  /** Whether it came from the cache (tests, logs). */
  cached: boolean;
}

export async function planRun(file: string): Promise<RunPlan> {
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // the full path reports it, as ever
  }
  // Looked up already when the threads were prestarted (run-early.ts), else now.
  const hit = text !== null ? (takeLookedUpTopology(file, text) ?? readCachedTopology(file, text)) : null;
  if (hit !== null) {
    try {
      return await fromCache(file, hit);
    } catch {
      // e.g. a subsystem that no longer starts a cached key: validate in full
    }
  }
  return validated(file, text);
}

async function fromCache(file: string, hit: CachedTopology): Promise<RunPlan> {
  const keys = hit.sections.map((s) => s.key);
  hintPreload(declaredModulesFor(Object.fromEntries(keys.map((k) => [k, true]))));
  const { starts, modules } = await startersFor(keys);
  const abs = resolve(file);
  return {
    file: abs,
    dir: dirname(abs),
    adoptedBy: hit.adoptedBy,
    kernel: hit.kernel,
    sections: hit.sections.map((s, i) => ({ key: s.key, start: starts[i].start, config: 'prepared' in s ? s.prepared : s.config })),
    modules,
    cached: true,
  };
}

/** Reads, validates and prepares the file in full; caches the result when the cache is on. */
async function validated(file: string, text: string | null): Promise<RunPlan> {
  const stopWatching = topologyCacheDir() !== null && text !== null ? watchLoads() : null;
  const reads: [string, string | null][] = [];
  let topology: Topology;
  const sections: CachedTopology['sections'] = [];
  let code: string[] = [];
  try {
    const { parseDocument, readDocument, recordReads } = await import('../config/index.ts');
    const recorded = <T>(fn: () => T): T => {
      const r = recordReads(fn);
      reads.push(...r.reads);
      return r.value;
    };
    // Only the subsystems whose keys the file has are imported (and the adopters): the document is read first.
    // (The text already read, so that what is cached is what was judged; unreadable: reported as ever.)
    const doc = recorded(() => (text !== null ? parseDocument(file, text) : readDocument(file)));
    // The waiting threads start on the modules the subsystems declare without being loaded (bin/subsystems.ts).
    hintPreload(declaredModulesFor(doc));
    const [{ validateTopology }, allLoaded] = await Promise.all([
      import('../kernel/topology.ts'),
      // As soon as the subsystems are known, the waiting threads start on their actor modules.
      loadSubsystemsFor(doc).then((all) => (hintPreload(modulesForKeys(doc)), all)),
    ]);
    // A bad file throws a ConfigError: a CliError with exit code 2. It is judged against every
    // subsystem's sections (a wrong key is named with all the expected ones), as before.
    try {
      topology = recorded(() => validateTopology(file, resolve(file), doc));
    } catch (err) {
      if (allLoaded) throw err;
      await loadSubsystems();
      topology = recorded(() => validateTopology(file, resolve(file), doc));
    }
    for (const { section, config } of topology.sections) {
      if (!section.prepare) {
        sections.push({ key: section.key, config });
        continue;
      }
      try {
        const prepared = recorded(() => section.prepare!(config, { file: topology.file, dir: topology.dir }));
        sections.push({ key: section.key, config, prepared });
      } catch (err) {
        // Reported as when the section worked it out while starting.
        throw new CliError(`cannot start ${file}: ${(err as Error).message}`, (err as { exitCode?: number }).exitCode ?? 1);
      }
    }
  } finally {
    code = stopWatching?.() ?? [];
  }
  const value: CachedTopology = { adoptedBy: topology.adoptedBy, kernel: topology.kernel, sections };
  if (stopWatching !== null) writeCachedTopology(file, text!, value, reads, code);
  return {
    file: topology.file,
    dir: topology.dir,
    adoptedBy: topology.adoptedBy,
    kernel: topology.kernel,
    sections: topology.sections.map(({ section }, i) => ({ key: section.key, start: section.start.bind(section), config: 'prepared' in sections[i] ? sections[i].prepared : sections[i].config })),
    // Worker threads import the actor modules of the subsystems this topology uses, not all of them.
    modules: registeredSubsystems()
      .filter((s) => s.sections?.some((sec) => topology.sections.some((t) => t.section === sec)))
      .flatMap((s) => s.modules ?? []),
    cached: false,
  };
}

/** The actor modules of the loaded subsystems that own a top-level key of the (not yet validated) document. */
function modulesForKeys(doc: unknown): string[] {
  const keys = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? Object.keys(doc) : [];
  return registeredSubsystems()
    .filter((s) => s.sections?.some((sec) => keys.includes(sec.key)))
    .flatMap((s) => s.modules ?? []);
}
