// `lottery run`'s server process started from one bundled module instead of ~95: the server's
// start (spawn to listening) is the longest part of a run's start, and most of it was Node
// resolving, reading and linking our modules one by one (~88 ms to ready unbundled, ~60 bundled,
// medians here). esbuild bundles server-main.ts and every module it imports, the packages' too
// (see the build below), into node_modules/.actor-runtime/: two folders
// below the project, as actors/lottery/ is, so the paths our modules build from import.meta.url
// (`../../.data`, the installation's folder, createRequire) still point where they did.
//
// The bundle is CommonJS, started by a small loader (LOADER below, written beside it) that
// compiles it with a V8 code cache of its own: Node's compile cache holds only the functions V8
// compiles up front, while this one is made at the end of a whole run (the first after a build), so
// it also holds every function the start, the batches, the draw and the stop compiled lazily.
// Spawn to ready: ~44 ms from the ES bundle with Node's cache, ~37 ms from this (isolated, medians
// of 12 here). A cache V8 rejects (another Node, other V8 flags) is made again at that exit.
//
// A bundle is used only while it is fresh: its manifest names every module it holds with the
// mtime and size it had when built (as the start-up caches do, runtime/kernel/derived-cache.ts),
// and Node's version. A run that finds none (the first run after an install or an edit) starts the
// server from server-main.ts as before and builds the bundle once the run is over, for the next.
// Only for one acceptor (`--servers 1`): worker threads import actor modules by their own paths.
// Off with the start-up caches (ACTOR_RUNTIME_CACHE=0, NODE_DISABLE_COMPILE_CACHE=1), and when
// esbuild or the folder is not there (nothing is built; the run is the same).
// Imports only Node's built-ins: run-early.ts uses it before anything else has loaded.

// Node's modules as CommonJS objects (see run-early.ts: an ES import of node:fs costs ~3 ms more).
const { accessSync, constants, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = process.getBuiltinModule('node:fs') as typeof import('node:fs');
const { join } = process.getBuiltinModule('node:path') as typeof import('node:path');
const { fileURLToPath } = process.getBuiltinModule('node:url') as typeof import('node:url');

/** Where bundles are kept (two levels below the project: see the top). */
export const BUNDLE_DIR = fileURLToPath(new URL('../../node_modules/.actor-runtime/', import.meta.url));
const ENTRY = fileURLToPath(new URL('./server-main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NAME = 'lottery-server';

/** A bundled module's file with the mtime and size it had when the bundle was built. */
type Stamp = [file: string, mtimeMs: number, size: number];
interface Manifest {
  node: string;
  inputs: Stamp[];
}

function enabled(): boolean {
  const off = (v: string | undefined): boolean => v === '0' || v === 'false' || v === 'off';
  return !off(process.env.ACTOR_RUNTIME_CACHE) && !process.env.NODE_DISABLE_COMPILE_CACHE;
}

const files = (dir: string): { bundle: string; loader: string; cache: string; manifest: string } => ({
  bundle: join(dir, `${NAME}.cjs`),
  loader: join(dir, `${NAME}-loader.cjs`),
  cache: join(dir, `${NAME}.cjs.cache`),
  manifest: join(dir, `${NAME}.json`),
});

/**
 * The loader, written beside the bundle: compiles it with the code cache (`<bundle>.cache`) when
 * there is one V8 accepts, and otherwise writes one at the process's exit, when everything the run
 * used has been compiled (written aside, then renamed: a reader sees a whole file or none).
 * Generated text, CommonJS: it must start without a module loader or a type stripper.
 */
const LOADER = `'use strict';
// Written by actors/lottery/server-bundle.ts: starts the bundled server from a V8 code cache.
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { Script } = require('node:vm');
const file = require('node:path').join(__dirname, '${NAME}.cjs');
const cacheFile = file + '.cache';
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {}
const source = readFileSync(file, 'utf8');
// The entry's #! line would not parse inside the wrapper: a comment instead (same line numbers).
const wrapped = '(function (exports, require, module, __filename, __dirname) {' + (source.startsWith('#!') ? '//' + source.slice(2) : source) + '\\n})';
const script = new Script(wrapped, { filename: file, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  process.once('exit', () => {
    try {
      const aside = cacheFile + '.' + process.pid;
      writeFileSync(aside, script.createCachedData());
      renameSync(aside, cacheFile);
    } catch {}
  });
}
const m = { exports: {} };
script.runInThisContext()(m.exports, require, m, file, __dirname);
`;

/** The bundled server's loader (what to run) when one is there and every module in the bundle is unchanged; else null. */
export function freshServerBundle(dir = BUNDLE_DIR): string | null {
  if (!enabled()) return null;
  const f = files(dir);
  try {
    const m = JSON.parse(readFileSync(f.manifest, 'utf8')) as Manifest;
    if (m.node !== process.version || !Array.isArray(m.inputs) || m.inputs.length === 0) return null;
    for (const [file, mtimeMs, size] of m.inputs) {
      const st = statSync(file);
      if (st.mtimeMs !== mtimeMs || st.size !== size) return null;
    }
    statSync(f.bundle);
    statSync(f.loader);
    return f.loader;
  } catch {
    return null; // no bundle, a changed or missing module, a corrupt manifest: the unbundled start
  }
}

/**
 * Builds the bundle and its manifest (written aside, then renamed: a reader sees the old pair or
 * the new one). False when it cannot be (no esbuild, a read-only folder, a build error) or when a
 * module changed while it was built (then no manifest is written: the next run tries again).
 */
export async function buildServerBundle(dir = BUNDLE_DIR): Promise<boolean> {
  if (!enabled()) return false;
  const f = files(dir);
  const tmp = `.${process.pid}-${Date.now()}`;
  try {
    const started = Date.now();
    // First: a read-only installation gives up here, before loading esbuild.
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    const esbuild = await import('esbuild');
    const r = await esbuild.build({
      entryPoints: [ENTRY],
      outfile: f.bundle + tmp,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      // Packages are bundled too: as imports they would all load at start, also those our
      // modules import only later (ws, msgpackr, comlink: the kernel's node links and threads).
      // import.meta.url is the bundle's own URL, as in an ES bundle (the loader passes __filename).
      define: { 'import.meta.url': '__bundleUrl' },
      banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
      metafile: true,
      absWorkingDir: ROOT,
      logLevel: 'silent',
    });
    // The loader compiles the bundle as a script, where import() has no loader behind it (that
    // needs an experimental vm option): a bundle that imports a module dynamically (`node:*` is
    // left to Node; our modules are inlined) is not used, and runs start unbundled. The kernel's
    // import of an actor module it has no definition of (runtime/actor/behavior.ts) is no such
    // import: in the bundle every definition is registered, so a miss is an error either way.
    for (const out of Object.values(r.metafile.outputs))
      for (const i of out.imports) if (i.kind === 'dynamic-import') throw new Error(`the server bundle imports ${i.path} dynamically`);
    const inputs: Stamp[] = Object.keys(r.metafile.inputs).map((p) => {
      const file = join(ROOT, p); // esbuild names inputs relative to absWorkingDir
      const st = statSync(file);
      return [file, st.mtimeMs, st.size];
    });
    if (inputs.some(([, mtimeMs]) => mtimeMs >= started)) {
      rmSync(f.bundle + tmp, { force: true });
      return false;
    }
    rmSync(f.cache, { force: true }); // made for the last bundle: the next run makes this one's
    rmSync(join(dir, `${NAME}.mjs`), { force: true }); // an ES bundle of an earlier version
    writeFileSync(f.loader + tmp, LOADER);
    renameSync(f.loader + tmp, f.loader);
    renameSync(f.bundle + tmp, f.bundle);
    writeFileSync(f.manifest + tmp, JSON.stringify({ node: process.version, inputs } satisfies Manifest));
    renameSync(f.manifest + tmp, f.manifest);
    return true;
  } catch {
    rmSync(f.bundle + tmp, { force: true });
    rmSync(f.loader + tmp, { force: true });
    rmSync(f.manifest + tmp, { force: true });
    return false;
  }
}
