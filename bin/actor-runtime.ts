#!/usr/bin/env node
// Entry point. First: a SIGINT/SIGTERM during loading is kept for the command's handler
// (runtime/io/early-signals.ts). Then Node's compile cache is turned on before the command line's
// modules load (a dynamic import, so it applies to them too when this file is run directly, as
// `node bin/actor-runtime.ts`); `bin/actor-runtime.mjs`, the installed command, turns it on even
// before this file. The cache directory reaches worker threads and child processes through
// NODE_COMPILE_CACHE.
import '../runtime/io/early-signals.ts';
import { enableCompileCache, getCompileCacheDir } from 'node:module';
import { dirname } from 'node:path';

enableCompileCache();
// The base directory (getCompileCacheDir() adds a per-version folder; see actor-runtime.mjs).
if (!process.env.NODE_COMPILE_CACHE && getCompileCacheDir()) process.env.NODE_COMPILE_CACHE = dirname(getCompileCacheDir()!);
// `run` starts booting its worker threads before the command line loads (runtime/cli/run-early.ts)
if (process.argv[2] === 'run') (await import('../runtime/cli/run-early.ts')).prestartForRun(process.argv.slice(3));
// a one-shot broker client command skips the command-line framework (actors/broker/cli-fast.ts)
const brokerClient = process.argv[2] === 'broker' ? (await import('../actors/broker/cli-fast.ts')).brokerClientFast(process.argv.slice(3)) : null;
if (brokerClient !== null) process.exitCode = await brokerClient();
else await import('./cli-main.ts');
