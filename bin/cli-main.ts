// The command line proper: composes the kernel with the subsystems and runs it. Only command
// definitions load here; each command imports what it uses when it runs (fast start-up).
// Loaded by bin/actor-runtime.ts once the compile cache is on.
import './subsystems.ts';
import { buildProgram, main } from '../runtime/cli/program.ts';

await main(await buildProgram([{ names: ['bench'], register: async (p) => (await import('../bench/cli.ts')).registerBenchCommand(p) }]));
