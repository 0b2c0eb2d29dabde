// `lottery run`'s server process started from one bundled module instead of ~95: the server's
// start (spawn to listening) is the longest part of a run's start, and most of it was Node
// resolving, reading and linking our modules one by one (~88 ms to ready unbundled, ~60 bundled,
// medians here). esbuild bundles server-main.ts and every module it imports, the packages' too
// (see the build below), into node_modules/.actor-runtime/: two folders
// below the project, as actors/lottery/ is, so the paths our modules build from import.meta.url
// (`../../.data`, the installation's folder, createRequire) still point where they did.
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

const files = (dir: string): { bundle: string; manifest: string } => ({ bundle: join(dir, `${NAME}.mjs`), manifest: join(dir, `${NAME}.json`) });

/** The bundled server entry when one is there and every module in it is unchanged; else null. */
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
    return f.bundle;
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
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      // Packages are bundled too: as imports they would all load at start, also those our
      // modules import only later (ws, msgpackr, comlink: the kernel's node links and threads).
      // Their CommonJS `require` of Node's modules needs a real one in an ES module.
      banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
      metafile: true,
      absWorkingDir: ROOT,
      logLevel: 'silent',
    });
    const inputs: Stamp[] = Object.keys(r.metafile.inputs).map((p) => {
      const file = join(ROOT, p); // esbuild names inputs relative to absWorkingDir
      const st = statSync(file);
      return [file, st.mtimeMs, st.size];
    });
    if (inputs.some(([, mtimeMs]) => mtimeMs >= started)) {
      rmSync(f.bundle + tmp, { force: true });
      return false;
    }
    renameSync(f.bundle + tmp, f.bundle);
    writeFileSync(f.manifest + tmp, JSON.stringify({ node: process.version, inputs } satisfies Manifest));
    renameSync(f.manifest + tmp, f.manifest);
    return true;
  } catch {
    rmSync(f.bundle + tmp, { force: true });
    rmSync(f.manifest + tmp, { force: true });
    return false;
  }
}
