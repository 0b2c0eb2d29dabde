// `lottery run`'s launcher from a code bundle (runtime/kernel/code-bundle.ts): run-command.ts and
// everything a run loads (run.ts, the in-process agencies, their readers and machines, the kernel,
// xstate) as one file with a V8 code cache, instead of ~80 modules, each function compiled at its
// first call. A run's start is the launcher and its server starting side by side until the
// agencies connect; with the server from its own code bundle, the launcher's start was the later
// of the two. run-early.ts stays out of the bundle: it holds the server spawned before the command
// line loaded, which runAll takes from that same instance.

import { buildBundle, freshBundle, type BundleSpec } from '../../runtime/kernel/code-bundle.ts';

const { fileURLToPath } = process.getBuiltinModule('node:url') as typeof import('node:url');
const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');

const RUN: BundleSpec = {
  name: 'lottery-run',
  entry: fileURLToPath(new URL('./run-command.ts', import.meta.url)),
  shared: [fileURLToPath(new URL('./run-early.ts', import.meta.url))],
};

type RunCommand = typeof import('./run-command.ts');

/** run-command.ts from the fresh bundle, or null (none fresh: run it from its module). */
export function bundledRunCommand(): RunCommand | null {
  const loader = freshBundle(RUN);
  return loader === null ? null : (createRequire(import.meta.url)(loader) as RunCommand);
}

/** Builds the launcher's bundle for the next run (false when it cannot be: see code-bundle.ts). */
export function buildRunBundle(): Promise<boolean> {
  return buildBundle(RUN);
}
