// The link secret comes from a file or an environment variable, never from the topology file.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const DEFAULT_SECRET_ENV = 'ACTOR_RUNTIME_NODE_SECRET';
const MIN_BYTES = 16;

export interface SecretSource {
  secretFile?: string;
  secretEnv?: string;
}

/** Reads the secret; throws a one-line error naming the source when it is missing or too short. */
export function readSecret(src: SecretSource, baseDir = process.cwd()): Buffer {
  let text: string | undefined;
  let from: string;
  if (src.secretFile !== undefined) {
    from = `secret file ${src.secretFile}`;
    try {
      text = readFileSync(resolve(baseDir, src.secretFile), 'utf8');
    } catch (err) {
      throw new Error(`cannot read the ${from} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  } else {
    const name = src.secretEnv ?? DEFAULT_SECRET_ENV;
    from = `environment variable ${name}`;
    text = process.env[name];
    if (text === undefined) throw new Error(`no link secret: set the ${from} or give secretFile`);
  }
  const secret = Buffer.from(text.trim(), 'utf8');
  if (secret.length < MIN_BYTES) throw new Error(`the link secret from the ${from} is shorter than ${MIN_BYTES} bytes`);
  return secret;
}
