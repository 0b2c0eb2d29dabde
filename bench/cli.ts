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
      const unknown = names.filter((n) => !scenarios[n]);
      if (unknown.length > 0) {
        process.stderr.write(`bench: unknown scenario ${unknown.join(', ')} (known: ${Object.keys(scenarios).join(', ')})\n`);
        process.exitCode = 2;
        return;
      }
      if (opts.runs !== undefined && !/^[1-9]\d{0,3}$/.test(opts.runs)) {
        process.stderr.write(`bench: --runs must be a whole number from 1 to 9999, got ${JSON.stringify(opts.runs)}\n`);
        process.exitCode = 2;
        return;
      }
      const [{ runBench }, { renderTerminal }] = await Promise.all([import('./run.ts'), import('./report.ts')]);
      const interactive = process.stderr.isTTY;
      let result: Awaited<ReturnType<typeof runBench>>;
      try {
        result = await runBench(
          { names, quick: !!opts.quick, check: !!opts.check, runs: opts.runs ? Number(opts.runs) : undefined, out: opts.out },
          (line) => process.stderr.write(interactive ? `\r\x1b[K${line}` : `${line}\n`),
        );
      } catch (err) {
        // A scenario's process failed (its own output above says why): one line, no stack.
        process.stderr.write(`${interactive ? '\n' : ''}bench: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      const { rows, failed } = result;
      if (interactive) process.stderr.write('\r\x1b[K');
      process.stdout.write(`${renderTerminal(rows)}\n`);
      process.stdout.write(`reports: bench/results/latest.{json,md} and one SVG per scenario\n`);
      if (opts.check && failed > 0) {
        process.stderr.write(`${failed} target(s) missed\n`);
        process.exitCode = 1;
      }
    });
}
