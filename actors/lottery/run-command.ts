// `lottery run`'s work as one entry: the code bundle of the launcher (run-bundle.ts) is built from
// it, and cli.ts runs it from that bundle or, when there is none fresh, from here.

import type { RunAllOptions } from './run.ts';

/** The whole run; its exit code (2 with an `error:` line when its options are refused). */
export async function runCommandHere(o: RunAllOptions): Promise<number> {
  const { runAll } = await import('./run.ts');
  try {
    return await runAll(o);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
}
