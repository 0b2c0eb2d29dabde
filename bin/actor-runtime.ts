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
// `actor-runtime inspect --events | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const args = process.argv.slice(2);
const asksHelp = args.includes('--help') || args.includes('-h') || args[0] === 'help';
// Help, printed from the help text cache while the code that built it is unchanged (runtime/cli/help-cache.ts).
const help = asksHelp ? await import('../runtime/cli/help-cache.ts') : null;
if (help?.replayHelp(args)) process.exitCode = 0;
else {
  help?.recordHelp(args);
  // `run` starts booting its worker threads before the command line loads (runtime/cli/run-early.ts).
  if (args[0] === 'run' && !asksHelp) (await import('../runtime/cli/run-early.ts')).prestartForRun(args.slice(1));
  // `lottery run` starts its server process before the command line loads (actors/lottery/run-early.ts).
  if (args[0] === 'lottery' && args[1] === 'run' && !asksHelp) (await import('../actors/lottery/run-early.ts')).startServerEarly(args.slice(2), process.stdout.isTTY === true && process.stderr.isTTY === true);
  // A one-shot broker client command skips the command-line framework (actors/broker/cli-fast.ts).
  const brokerClient = args[0] === 'broker' ? (await import('../actors/broker/cli-fast.ts')).brokerClientFast(args.slice(1)) : null;
  if (brokerClient !== null) process.exitCode = await brokerClient();
  else {
    // The same command line as before, with the same code: its action at once (runtime/cli/action-cache.ts).
    const calls = asksHelp ? null : await import('../runtime/cli/action-cache.ts');
    const call = calls?.cachedCall(args) ?? null;
    if (call !== null) {
      // The subsystems are registered as for a parsed command line (their command definitions load no commander).
      await import('./subsystems.ts');
      await (await import('../runtime/cli/errors.ts')).reportErrors(() => calls!.callParsed(call));
    } else {
      calls?.recordCall(args);
      await import('./cli-main.ts');
    }
  }
}
