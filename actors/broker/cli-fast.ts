// The one-shot client commands (`broker create|publish|subscribe|unsubscribe|recv|destroy`) without
// the command-line framework: bin/actor-runtime.ts asks here first, so such a run loads only this
// file, cli-client.ts, the client and its JSON codecs (start-up to the first byte on the wire).
// Anything this parser does not recognise exactly (--help, an unknown flag, a wrong number of
// arguments) returns null and the full command line (commander) handles it, usage errors included.

import type { ClientFlags } from './cli.ts';

/** Positional arguments of each client op (same as the commander definitions in cli.ts). */
const ARITY: Record<string, number> = { create: 0, publish: 3, subscribe: 2, unsubscribe: 2, recv: 1, destroy: 1 };

/** Parses `argv` (after `broker`); null when it is not a plain, well-formed client command. */
export function parseBrokerClientArgs(argv: readonly string[]): { op: string; args: string[]; flags: ClientFlags } | null {
  const op = argv[0];
  if (op === undefined || !Object.hasOwn(ARITY, op)) return null;
  const args: string[] = [];
  const flags: ClientFlags = {};
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    const value = (): string | null => (eq >= 0 ? a.slice(eq + 1) : i + 1 < argv.length ? argv[++i] : null);
    if (name === '--json' && eq < 0) flags.json = true;
    else if (name === '--socket') {
      const v = value();
      if (v === null) return null;
      flags.socket = v;
    } else if (op === 'recv' && name === '--wait' && eq < 0) flags.wait = true;
    else if (op === 'recv' && name === '--timeout') {
      const v = value();
      if (v === null) return null;
      flags.timeout = v;
    } else return null; // --help, --, unknown flags, a message that starts with '-': commander decides
  }
  return args.length === ARITY[op] ? { op, args, flags } : null;
}

/** Runs a plain client command and resolves its exit code; null when commander must handle argv. */
export function brokerClientFast(argv: readonly string[]): (() => Promise<number>) | null {
  const parsed = parseBrokerClientArgs(argv);
  if (parsed === null) return null;
  return async () => {
    const { runClientCommand } = await import('./cli-client.ts');
    return runClientCommand(parsed.op, parsed.args, parsed.flags);
  };
}
