#!/usr/bin/env node
// Entry point: composes the kernel with the subsystems and runs the command line.
import './subsystems.ts';
import { buildProgram, main } from '../runtime/cli/program.ts';
import { registerBenchCommand } from '../bench/cli.ts';

await main(buildProgram([registerBenchCommand]));
