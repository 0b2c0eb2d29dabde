// Which running system a client command (inspect, top, view) attaches to.

import { findSockets } from '../inspection/control.ts';
import { CliError } from './errors.ts';

/** The control socket given, or the only running system's (by name if given); else a CliError. */
export function pickSocket(opts: { socket?: string; name?: string }): string {
  if (opts.socket) return opts.socket;
  const found = findSockets(opts.name);
  if (found.length === 0) throw new CliError(`no running system found${opts.name ? ` named ${opts.name}` : ''} (start one with: actor-runtime run <topology>)`, 1);
  if (found.length > 1) throw new CliError(`several systems are running; choose one with --socket:\n${found.map((f) => `  ${f}`).join('\n')}`, 2);
  return found[0];
}
