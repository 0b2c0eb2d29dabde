#!/usr/bin/env node
// The installed `actor-runtime` command. Plain JavaScript on purpose: it turns on Node's compile
// cache before any TypeScript is loaded, so that later starts read every module's stripped and
// compiled code from the cache instead of loading the type stripper and compiling again (about
// 0.05 s of every start). The cache's base directory is passed on to worker threads and child
// processes through NODE_COMPILE_CACHE (the base, not getCompileCacheDir(): that is the base plus
// a per-version folder, and a child given it would nest a second, separate cache inside it);
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import { enableCompileCache, getCompileCacheDir } from 'node:module';
import { dirname } from 'node:path';

enableCompileCache();
const dir = getCompileCacheDir();
if (dir && !process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = dirname(dir);
// `lottery run` spawns its server before anything else loads (actors/lottery/run-early.ts): the
// server's start is the longest part of a run's start, and this is ~8 ms sooner than from
// actor-runtime.ts, whose own imports come first there. A signal in this window has no early
// handler yet (runtime/io/early-signals.ts): the launcher ends by it, and the server, its IPC
// channel gone, stops by itself.
const args = process.argv.slice(2);
if (args[0] === 'lottery' && args[1] === 'run' && !args.includes('--help') && !args.includes('-h')) {
  const { startServerEarly } = await import('../actors/lottery/run-early.ts');
  startServerEarly(args.slice(2), process.stdout.isTTY === true && process.stderr.isTTY === true);
}
await import('./actor-runtime.ts');
