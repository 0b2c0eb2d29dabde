// The help text cache (fast start-up): `--help` builds the whole command line (commander and every
// subsystem's command definitions) to print a text that changes only with that code. A help run
// that ends well (exit 0, nothing on stderr) keeps what it printed as a derived cache
// (runtime/kernel/derived-cache.ts), stamped with every module it loaded; a later run with the same
// arguments, working folder, Node, terminal width and values of the environment variables the
// help run read prints it again, loading none
// of them, while every one of those modules is unchanged. It is never written by hand and cannot
// drift: any edit to a command definition, to commander or to this code is a miss, and the help is
// built as before. ACTOR_RUNTIME_CACHE=0 turns it off.

import { fileURLToPath } from 'node:url';
import { commandLineKey, derivationHolds, derivedCacheDir, readEntry, textHash, watchDerivation, writeEntry } from '../kernel/derived-cache.ts';

/** Bumped when the entry's layout or meaning changes. */
const FORMAT = 2;

/** Modules loaded before the watch starts that decide what a help run prints: the entry and this file. */
const ENTRY_MODULES = [fileURLToPath(new URL('../../bin/actor-runtime.ts', import.meta.url)), fileURLToPath(import.meta.url)];

/** Everything besides the code and the environment (its colour settings among them: derivationHolds) that commander's help output depends on. */
function keyOf(args: string[]): string {
  const out = process.stdout;
  return commandLineKey(args, FORMAT, out.isTTY ? [out.columns, out.hasColors?.()] : null);
}

/** Prints the cached help for `args` and returns true, or returns false (a miss: build it). */
export function replayHelp(args: string[]): boolean {
  const dir = derivedCacheDir('help');
  if (dir === null) return false;
  const key = keyOf(args);
  const e = readEntry(dir, textHash(key));
  if (e === null || e.key !== key || typeof e.out !== 'string' || !derivationHolds(e)) return false;
  process.stdout.write(e.out);
  return true;
}

/** Records what this help run prints and, if it ends well, caches it with the modules it loaded. */
export function recordHelp(args: string[]): void {
  const dir = derivedCacheDir('help');
  if (dir === null) return;
  const key = keyOf(args);
  const stop = watchDerivation(ENTRY_MODULES);
  let out = '';
  let spoiled = false;
  const tap = (stream: NodeJS.WriteStream, onChunk: (chunk: unknown) => void): void => {
    const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      onChunk(chunk);
      return write(chunk, ...rest);
    }) as typeof stream.write;
  };
  tap(process.stdout, (chunk) => (out += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')));
  tap(process.stderr, () => (spoiled = true));
  process.once('exit', (code) => {
    const d = stop();
    if (code !== 0 || spoiled || out === '') return;
    let stamps;
    try {
      stamps = d.stamp();
    } catch {
      return;
    }
    writeEntry(dir, textHash(key), { format: FORMAT, key, env: d.env, envKey: d.envKey, out, code: stamps });
  });
}
