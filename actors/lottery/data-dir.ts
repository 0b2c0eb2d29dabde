// The lottery server's data folder (bets.csv and the store). The folder itself is created when its
// parent exists (like `mkdir`); a missing parent is created only inside the project's own data
// folder (`<project>/.data/`, git-ignored) or when the configuration says so
// (`server.createDataDir: true`, `lottery server --create-data-dir`), like the dispatcher's lock
// folders (`CreateLockFolder`). Anything else is a one-line configuration error, exit 2: a typo
// must not leave a chain of folders behind somewhere the user did not ask for.

import { lstatSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve, isAbsolute, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `<project>/.data`, where the project keeps what it generates. */
export const PROJECT_DATA = fileURLToPath(new URL('../../.data', import.meta.url));

function inside(dir: string, root: string): boolean {
  const r = relative(resolve(root), resolve(dir));
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
}

/** Makes sure `dir` is a folder; returns the one-line problem (exit 2) or null. */
export function prepareDataDir(dir: string, createDataDir: boolean): string | null {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (st?.isDirectory() || (st?.isSymbolicLink() && lstatSync(resolve(dir, '.'), { throwIfNoEntry: false })?.isDirectory())) return null;
  if (st) return `lottery: the data folder ${dir} is not a folder`;
  const parent = dirname(resolve(dir));
  if (!createDataDir && !inside(dir, PROJECT_DATA) && !lstatSync(parent, { throwIfNoEntry: false })?.isDirectory()) {
    return `lottery: the data folder ${dir} does not exist, nor its folder ${parent} (create them, or set server.createDataDir: true / lottery server --create-data-dir)`;
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    return `lottery: cannot create the data folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  return null;
}
