// Code bundles (fast start-up): a program part loaded from one bundled file with a V8 code cache
// instead of from its ~50-100 modules. Two things cost a start that Node's own module compile
// cache does not remove: resolving, reading and linking the modules one by one, and compiling
// every function the start runs (Node's cache holds only the code V8 compiles up front). esbuild
// bundles the entry and every module it imports, the packages' too, into one CommonJS file; a small
// generated loader compiles it with a code cache that the loader itself makes at the exit of the
// first run after a build, so it holds every function that run compiled lazily. A cache V8
// rejects (another Node, other V8 flags) is made again at that exit.
//
// A bundle is used only while it is fresh: its manifest names every module it holds with the
// mtime and size it had when built (as the other start-up caches do: derived-cache.ts), and Node's
// version; the caller starts from its modules otherwise and builds the bundle after its run, for
// the next. Off with the start-up caches (ACTOR_RUNTIME_CACHE=0, NODE_DISABLE_COMPILE_CACHE=1),
// and when esbuild or the folder is not there (nothing is built; the start is the same).
//
// The bundle is kept in node_modules/.actor-runtime/ and is tied to this installation: each of our
// modules in it keeps its own import.meta.url (the file it was built from), so every path built
// from one (worker and process entries, data folders, actor ids) is the one it is unbundled.
// `shared` modules stay out of the bundle and are required by path: the ones the caller has
// already loaded whose state the bundle must share (the same instance).
// Takes Node's modules as CommonJS objects (an ES import of node:fs loads its streams, ~3 ms): it
// runs before everything else in a start. Freshness is the start-up caches' (derived-cache.ts).

import { startupCachesOn, stampFiles, stampsHold, type CodeStamp } from './derived-cache.ts';

const { accessSync, constants, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = process.getBuiltinModule('node:fs') as typeof import('node:fs');
const { join } = process.getBuiltinModule('node:path') as typeof import('node:path');
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url') as typeof import('node:url');
const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');

/**
 * `import.meta.url` as text, spelled so that bundling this module does not rewrite it: the
 * launcher's bundle builds the server's, and the plugin below (or the define) turned the literal
 * into this file's own URL there, so every build from a bundle failed (an invalid define key) and
 * the server ran from its ~80 modules until the launcher itself next ran unbundled.
 */
const META_URL = ['import', 'meta', 'url'].join('.');

/** Where bundles are kept (two levels below the project: see the top). */
export const BUNDLE_DIR = fileURLToPath(new URL('../../node_modules/.actor-runtime/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BundleSpec {
  /** File names: `<name>.cjs`, `<name>-loader.cjs`, `<name>.json`, `<name>.cjs.cache`. */
  name: string;
  /** The entry module (a path). */
  entry: string;
  /** Modules kept out of the bundle (paths), required from it by their own path. */
  shared?: string[];
}

/** Every bundled module with the mtime and size it had when the bundle was built, and Node's version. */
interface Manifest {
  node: string;
  inputs: CodeStamp[];
}

function bundleFiles(name: string, dir: string): { bundle: string; loader: string; cache: string; manifest: string } {
  return { bundle: join(dir, `${name}.cjs`), loader: join(dir, `${name}-loader.cjs`), cache: join(dir, `${name}.cjs.cache`), manifest: join(dir, `${name}.json`) };
}

/**
 * The loader, written beside the bundle: compiles it with the code cache when there is one V8
 * accepts, and otherwise writes one at the process's exit, once everything the run used has been
 * compiled (written aside, then renamed: a reader sees a whole file or none). It is the process's
 * entry (node <loader>) or required (its exports are the bundle's). Generated text, CommonJS: it
 * must start without a module loader or a type stripper.
 */
function loaderText(name: string): string {
  return `'use strict';
// Written by runtime/kernel/code-bundle.ts: runs ${name}.cjs from a V8 code cache.
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { Script } = require('node:vm');
const file = require('node:path').join(__dirname, '${name}.cjs');
const cacheFile = file + '.cache';
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {}
const source = readFileSync(file, 'utf8');
// An entry's #! line would not parse inside the wrapper: a comment instead (same line numbers).
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
script.runInThisContext()(module.exports, require, module, file, __dirname);
`;
}

/** The bundle's loader (what to run or require) when one is there and every module in it is unchanged; else null. */
export function freshBundle(spec: BundleSpec, dir = BUNDLE_DIR): string | null {
  if (!startupCachesOn()) return null;
  const f = bundleFiles(spec.name, dir);
  try {
    const m = JSON.parse(readFileSync(f.manifest, 'utf8')) as Manifest;
    if (m.node !== process.version || !Array.isArray(m.inputs) || m.inputs.length === 0 || !stampsHold(m.inputs)) return null;
    statSync(f.bundle);
    statSync(f.loader);
    return f.loader;
  } catch {
    return null; // no bundle, a changed or missing module, a corrupt manifest: the unbundled start
  }
}

/**
 * Builds the bundle, its loader and its manifest (each written aside, then renamed; the manifest
 * last: a reader sees the old set or the new one). False when it cannot be (no esbuild, a
 * read-only folder, a build error, a dynamic import) or when a module changed while it was built
 * (then no manifest is written: the next run tries again).
 */
export async function buildBundle(spec: BundleSpec, dir = BUNDLE_DIR): Promise<boolean> {
  if (!startupCachesOn()) return false;
  const f = bundleFiles(spec.name, dir);
  const tmp = `.${process.pid}-${Date.now()}`;
  const shared = new Set(spec.shared ?? []);
  try {
    const started = Date.now();
    // First: a read-only installation gives up here, before loading esbuild.
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    // Required, not imported: this module is itself bundled (the launcher's bundle builds the
    // server's), and esbuild stays a package of its own (its API finds its binary by its path).
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const r = await esbuild.build({
      entryPoints: [spec.entry],
      outfile: f.bundle + tmp,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      // Packages are bundled too: as imports they would all load at start, also those our
      // modules import only later (ws, msgpackr, comlink: the kernel's node links and threads).
      external: ['esbuild'],
      // A package's import.meta.url is the bundle's own URL (our modules' are their own: below).
      define: { [META_URL]: '__bundleUrl' },
      banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
      plugins: [
        {
          // Each of our modules keeps its own URL, so the paths it builds from it (entries of
          // worker threads and processes, data folders, actor ids) are the ones it has unbundled.
          name: 'own-urls',
          setup(b) {
            b.onLoad({ filter: /\.ts$/ }, (a) => ({
              contents: readFileSync(a.path, 'utf8').replaceAll(META_URL, JSON.stringify(pathToFileURL(a.path).href)),
              loader: 'ts',
            }));
          },
        },
        {
          name: 'shared-modules',
          setup(b) {
            b.onResolve({ filter: /\.ts$/ }, async (a) => {
              if (a.pluginData === 'shared-check') return undefined;
              const res = await b.resolve(a.path, { resolveDir: a.resolveDir, kind: a.kind, importer: a.importer, pluginData: 'shared-check' });
              return shared.has(res.path) ? { path: res.path, external: true } : undefined;
            });
          },
        },
      ],
      metafile: true,
      absWorkingDir: ROOT,
      logLevel: 'silent',
    });
    // The loader compiles the bundle as a script, where import() has no module loader behind it
    // (that needs an experimental vm option): a bundle that imports a module dynamically (Node's
    // `node:*`; our modules are inlined) is not used. An import of a computed name (the kernel's
    // import of an actor module it has no definition of) is no such import: in a bundle every
    // definition is registered, so such a miss is an error either way.
    for (const out of Object.values(r.metafile.outputs))
      for (const i of out.imports) if (i.kind === 'dynamic-import') throw new Error(`${spec.name} imports ${i.path} dynamically`);
    // esbuild names inputs relative to absWorkingDir.
    const inputs = stampFiles([...Object.keys(r.metafile.inputs).map((p) => join(ROOT, p)), ...shared]);
    if (inputs.some(([, mtimeMs]) => mtimeMs >= started)) {
      rmSync(f.bundle + tmp, { force: true });
      return false;
    }
    rmSync(f.cache, { force: true }); // made for the last bundle: the next run makes this one's
    writeFileSync(f.loader + tmp, loaderText(spec.name));
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
