// `lottery run`'s server process started from a code bundle (runtime/kernel/code-bundle.ts): one
// bundled CommonJS file with a V8 code cache instead of ~95 modules. The server's start (spawn to
// listening) is the longest part of a run's start: ~88 ms to ready from the modules, ~60 from an
// ES bundle, ~44 from that bundle with Node's compile cache, ~37 from the code bundle (isolated,
// medians here). Only for one acceptor (`--servers 1`): worker threads import actor modules by
// their own paths. The server's graph imports Node's modules statically or by
// process.getBuiltinModule, never by import() (a code bundle has no module loader behind import()).
// Imports only Node's built-ins and the kernel's code-bundle.ts: run-early.ts uses it before
// anything else has loaded.

import { BUNDLE_DIR, buildBundle, freshBundle, type BundleSpec } from '../../runtime/kernel/code-bundle.ts';

const { fileURLToPath } = process.getBuiltinModule('node:url') as typeof import('node:url');

const SERVER: BundleSpec = { name: 'lottery-server', entry: fileURLToPath(new URL('./server-main.ts', import.meta.url)) };

/** The bundled server's loader (what to run) when it is there and every module in it is unchanged; else null. */
export function freshServerBundle(dir = BUNDLE_DIR): string | null {
  return freshBundle(SERVER, dir);
}

/** Builds the server's bundle (false when it cannot be: see code-bundle.ts). */
export function buildServerBundle(dir = BUNDLE_DIR): Promise<boolean> {
  return buildBundle(SERVER, dir);
}
