// `actor-runtime bench [scenario...] [--quick] [--check]` (also `npm run bench`).
import type { Command } from 'commander';
import { scenarios } from './scenarios/index.ts';

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(`run benchmark scenarios with same-run baselines (known: ${Object.keys(scenarios).join(', ')})`)
    .argument('[scenarios...]', 'scenario names (default: all)')
    .option('--quick', 'short runs (under a minute per scenario group)')
    .option('--check', 'exit 1 when a target is missed')
    .option('--runs <n>', 'repetitions per scenario (default 5, quick 3)')
    .option('--out <dir>', 'report folder (default bench/results)')
    .action(async (names: string[], opts: { quick?: boolean; check?: boolean; runs?: string; out?: string }) => {
      const [{ runBench }, { renderTerminal }] = await Promise.all([import('./run.ts'), import('./report.ts')]);
      const interactive = process.stderr.isTTY;
      const { rows, failed } = await runBench(
        { names, quick: !!opts.quick, check: !!opts.check, runs: opts.runs ? Number(opts.runs) : undefined, out: opts.out },
        (line) => process.stderr.write(interactive ? `\r\x1b[K${line}` : `${line}\n`),
      );
      if (interactive) process.stderr.write('\r\x1b[K');
      process.stdout.write(`${renderTerminal(rows)}\n`);
      process.stdout.write(`reports: bench/results/latest.{json,md} and one SVG per scenario\n`);
      if (opts.check && failed > 0) {
        process.stderr.write(`${failed} target(s) missed\n`);
        process.exitCode = 1;
      }
    });
}
