// Where the live view listens and who may read it: `[host:]port` parsing, loopback detection and
// the node secret (from an environment variable or a file, never from the topology itself).

import net from 'node:net';
import { DEFAULT_SECRET_ENV, findSecret, type SecretSource } from '../nodes/secret.ts';

/** The one documented variable, shared with node links (ACTOR_RUNTIME_SECRET still read as an alias). */
export const SECRET_ENV = DEFAULT_SECRET_ENV;

export interface ViewAddress {
  host: string;
  port: number;
}

/** `8080`, `127.0.0.1:8080`, `[::1]:8080`, `localhost:0`; the host defaults to 127.0.0.1. */
export function parseViewAddress(text: string): ViewAddress {
  const s = String(text).trim();
  const m = /^(?:\[([0-9a-fA-F:.]+)\]:|([^:[\]]+):)?(\d{1,5})$/.exec(s);
  if (!m) throw new Error(`expected [host:]port for the view, e.g. 8080 or 127.0.0.1:8080, found ${JSON.stringify(s)}`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`the view's port must be 0..65535, found ${port}`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

/**
 * The secret pages must prove: the file when given, else the environment (see findSecret in
 * runtime/nodes/secret.ts: one reader for views and node links); null when neither is set.
 */
export function loadSecret(file?: string, secretEnv?: string): string | null {
  const src: SecretSource = { secretFile: file, secretEnv };
  const found = findSecret(src);
  if (found === null) return null;
  if (found.text.length < 8) throw new Error(`the secret from the ${found.from} is shorter than 8 characters`);
  return found.text;
}

/** A public address is served only with a secret; the message says how to give one. */
export function checkExposure(addr: ViewAddress, secret: string | null): void {
  if (!isLoopback(addr.host) && !secret) {
    throw new Error(`the view at ${addr.host}:${addr.port} is not on a loopback address: set ${SECRET_ENV} or give a secret file (view.secretFile, --view-secret-file) so that clients must authenticate`);
  }
}
