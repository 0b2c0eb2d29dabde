#!/usr/bin/env node
// `lottery run`'s server process: `lottery server` without a command line to parse. run.ts builds
// the options itself and passes them as JSON in LOTTERY_SERVER_OPTIONS, so this process loads no
// commander (nor the stdin stream its `import process from 'node:process'` creates): a few
// milliseconds less before the server listens, on the run's critical path.
// First: a SIGINT/SIGTERM during loading is kept for the server's handler.
import '../../runtime/io/early-signals.ts';
import type { ServerCliOptions } from './config.ts';

function options(): ServerCliOptions {
  try {
    return JSON.parse(process.env.LOTTERY_SERVER_OPTIONS ?? '') as ServerCliOptions;
  } catch {
    process.stderr.write('error: server-main.ts is started by `lottery run` with LOTTERY_SERVER_OPTIONS (JSON); use `actor-runtime lottery server` instead\n');
    process.exit(2);
  }
}
const o = options();
delete process.env.LOTTERY_SERVER_OPTIONS;
// No top-level await: the bundle of this entry is CommonJS (server-bundle.ts).
void import('./processes.ts').then(({ runServerProcess }) => runServerProcess(o));
