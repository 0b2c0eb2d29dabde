// The link secret comes from a file or an environment variable, never from the topology file.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const DEFAULT_SECRET_ENV = 'ACTOR_RUNTIME_NODE_SECRET';
/** The name the live view shipped with first; read when the default is not set. */
export const ALIAS_SECRET_ENV = 'ACTOR_RUNTIME_SECRET';
const MIN_BYTES = 16;

export interface SecretSource {
  secretFile?: string;
  secretEnv?: string;
}

/**
 * The one way the runtime finds its shared secret (node links, `inspect/top/view --node`, the live
 * view's page challenge): the file when given, else the named environment variable, else
 * $ACTOR_RUNTIME_NODE_SECRET (alias $ACTOR_RUNTIME_SECRET). An empty variable counts as unset.
 * Null when none is set; throws a one-line error when the file cannot be read.
 */
export function findSecret(src: SecretSource, baseDir = process.cwd()): { text: string; from: string } | null {
  if (src.secretFile !== undefined) {
    const from = `secret file ${src.secretFile}`;
    try {
      return { text: readFileSync(resolve(baseDir, src.secretFile), 'utf8').trim(), from };
    } catch (err) {
      throw new Error(`cannot read the ${from} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  const names = src.secretEnv !== undefined ? [src.secretEnv] : [DEFAULT_SECRET_ENV, ALIAS_SECRET_ENV];
  for (const name of names) {
    const text = process.env[name];
    if (text !== undefined && text !== '') return { text: text.trim(), from: `environment variable ${name}` };
  }
  return null;
}

/** Reads the link secret; throws a one-line error naming the source when it is missing or too short. */
export function readSecret(src: SecretSource, baseDir = process.cwd()): Buffer {
  const found = findSecret(src, baseDir);
  if (found === null) throw new Error(`no link secret: set the environment variable ${src.secretEnv ?? DEFAULT_SECRET_ENV} or give secretFile`);
  const secret = Buffer.from(found.text, 'utf8');
  if (secret.length < MIN_BYTES) throw new Error(`the link secret from the ${found.from} is shorter than ${MIN_BYTES} bytes`);
  return secret;
}
