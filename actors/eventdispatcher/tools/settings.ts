// What the three tools (eventdispatcher.md §6) read besides their command line: a configuration
// file `/etc/eventdispatcher/<tool>.conf` of `name=value` lines (long option names; `#` comments)
// and an environment variable holding more options (`ED_SIGNAL="--type tcp"`). Precedence: the
// command line over the environment over the file. EVENTDISPATCHER_CONFIG_DIR moves the folder
// (tests, or an installation elsewhere).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONFIG_DIR = '/etc/eventdispatcher';

/** An error for the user: the tool prints `<tool>: error: <message>` and exits with `exitCode`. */
export class ToolError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** `name=value` lines; blank lines and `#` comments skipped; names with `_` or `-` alike. */
export function readVariables(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    out.set(line.slice(0, eq).trim().replace(/_/g, '-'), value);
  }
  return out;
}

/** Splits an environment variable into arguments (whitespace, with '…' and "…" quoting). */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] ?? m[3]);
  return out;
}

/**
 * The arguments to parse: the configuration file's options, then the environment variable's,
 * then the command line's (later ones win for single-value options).
 */
export function gatherArgs(tool: string, envVar: string, argv: string[], known: ReadonlyMap<string, 'flag' | 'value'>): string[] {
  const dir = process.env.EVENTDISPATCHER_CONFIG_DIR ?? CONFIG_DIR;
  const file = join(dir, `${tool}.conf`);
  const fromFile: string[] = [];
  if (existsSync(file)) {
    for (const [name, value] of readVariables(file)) {
      const kind = known.get(name);
      if (kind === undefined) throw new ToolError(`${file}: unknown option "${name}".`);
      if (kind === 'value') fromFile.push(`--${name}`, value);
      else if (/^(true|1|yes)$/i.test(value)) fromFile.push(`--${name}`);
    }
  }
  const fromEnv = splitArgs(process.env[envVar] ?? '');
  return [...fromFile, ...fromEnv, ...argv];
}

/** The long options of a commander Command: whether each takes a value. */
export function optionKinds(cmd: { options: readonly { long?: string; required?: boolean; optional?: boolean }[] }): Map<string, 'flag' | 'value'> {
  const out = new Map<string, 'flag' | 'value'>();
  for (const o of cmd.options) if (o.long) out.set(o.long.replace(/^--/, ''), o.required || o.optional ? 'value' : 'flag');
  return out;
}
