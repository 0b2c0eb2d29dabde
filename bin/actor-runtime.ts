#!/usr/bin/env node
// Entry point: composes the kernel with the subsystems and runs the command line.
import './subsystems.ts';
import { buildProgram, main } from '../runtime/cli/program.ts';
import { registerBenchCommand } from '../bench/cli.ts';

// `actor-runtime inspect --events | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await main(buildProgram([registerBenchCommand]));
