// Optional message definitions (eventdispatcher.md §2.5): per command, its parameters with a type
// and flags. No flags = required + may be empty; `optional` = may be absent, non-empty if present.
// Looked up by the message's actual command every time ([FIX]: upstream cached the first one).

import { parseAddress, parseInteger, parseTimespec, type Message } from '../../protocols/eventdispatcher/index.ts';

export type ParamType = 'string' | 'default' | 'integer' | 'address' | 'timespec';
export type ParamFlag = 'required' | 'empty' | 'forbidden' | 'optional' | 'defined' | 'allowed';

export interface ParamDefinition {
  name: string;
  type?: ParamType;
  /** Absent = ['required', 'empty']. */
  flags?: ParamFlag[];
}

export type Definitions = ReadonlyMap<string, readonly ParamDefinition[]>;

const opt = (name: string, type: ParamType = 'string'): ParamDefinition => ({ name, type, flags: ['optional'] });
const req = (name: string, type: ParamType = 'string'): ParamDefinition => ({ name, type, flags: ['required'] });

/** The built-in definitions of §2.5. */
export const BUILTIN_DEFINITIONS: Definitions = new Map<string, ParamDefinition[]>([
  ['ABSOLUTELY', [opt('serial'), opt('timestamp', 'timespec'), req('reply_timestamp', 'timespec')]],
  ['ALIVE', [opt('serial'), opt('timestamp', 'timespec')]],
  ['COMMANDS', [req('list')]],
  ['INVALID', [opt('command'), opt('message')]],
  ['UNKNOWN', [opt('command'), opt('message')]],
  ['READY', [opt('my_address', 'address')]],
  ['SERVICE_UNAVAILABLE', [{ name: 'destination_service' }, { name: 'unsent_command' }]],
  ...['HELP', 'LEAK', 'LOG_ROTATE', 'QUITTING', 'RESTART', 'STOP'].map((c): [string, ParamDefinition[]] => [c, []]),
]);

/** Built-ins plus the caller's (the caller's win for the same command). */
export function withBuiltins(extra: Definitions): Definitions {
  return new Map([...BUILTIN_DEFINITIONS, ...extra]);
}

function typeOk(type: ParamType, value: string): boolean {
  switch (type) {
    case 'integer':
      return parseInteger(value) !== null;
    case 'address':
      return parseAddress(value) !== null;
    case 'timespec':
      return parseTimespec(value) !== null;
    default:
      return true;
  }
}

/** null when `msg` satisfies its definition (or its command has none), else what is wrong. */
export function checkDefinition(defs: Definitions, msg: Message): string | null {
  const list = defs.get(msg.command);
  if (list === undefined) return null;
  for (const p of list) {
    const flags = p.flags ?? ['required', 'empty'];
    const present = msg.hasParameter(p.name);
    if (!present) {
      if (flags.includes('required')) return `parameter "${p.name}" is required`;
      continue;
    }
    if (flags.includes('forbidden')) return `parameter "${p.name}" is forbidden`;
    const value = msg.getParameter(p.name);
    if (value === '') {
      if (!flags.includes('empty')) return `parameter "${p.name}" cannot be empty`;
      continue;
    }
    if (!typeOk(p.type ?? 'string', value)) return `parameter "${p.name}" is not a valid ${p.type}`;
  }
  return null;
}
