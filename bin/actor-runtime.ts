#!/usr/bin/env node
// Entry point: composes the kernel with the subsystems and runs the command line. Only command
// definitions load here; each command imports what it uses when it runs (fast start-up).
// `bin/actor-runtime.mjs` (the installed command) turns on the compile cache before this file.
// First: a SIGINT/SIGTERM during loading is kept for the command's handler (runtime/io/early-signals.ts).
import '../runtime/io/early-signals.ts';
import { enableCompileCache, getCompileCacheDir } from 'node:module';
import './subsystems.ts';
import { buildProgram, main } from '../runtime/cli/program.ts';
import { registerBenchCommand } from '../bench/cli.ts';

// Run directly (`node bin/actor-runtime.ts`), the modules each command imports still come from
// the cache, and so do those of the worker threads and child processes.
enableCompileCache();
if (!process.env.NODE_COMPILE_CACHE && getCompileCacheDir()) process.env.NODE_COMPILE_CACHE = getCompileCacheDir();

// `actor-runtime inspect --events | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await main(buildProgram([registerBenchCommand]));
