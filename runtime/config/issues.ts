// One way to say what is wrong in a configuration document: `<path>: <what was expected>, found
// <what was there>`, for zod issues from any schema (the topology, a subsystem's section, the
// dispatcher's original config.json). A schema's own message is used as written; zod's default
// size messages read `expected number to be >=2; found number 1`.

import type { z } from 'zod';

/** `a.b[2].c`, or `(top level)` for the empty path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

/** A short description of a value for error messages (`the string "x"`, `number 3`, `a list of 2`). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

export interface IssueOptions {
  /** Path segments before the issue's own (the document key the validated value sits under). */
  prefix?: readonly PropertyKey[];
  /** For an unknown key: the keys allowed at that path, listed after it. */
  expectedKeys?(path: readonly PropertyKey[]): string | null;
}

/** Whether zod wrote the message itself (then we phrase it; otherwise the schema's words stand). */
const zodDefault = /^(Invalid input|Invalid option|Too small: |Too big: )/;

/** One line for one zod issue; `root` is the value the schema was applied to. */
export function formatIssue(issue: z.core.$ZodIssue, root: unknown, o: IssueOptions = {}): string {
  const where = formatPath([...(o.prefix ?? []), ...issue.path]);
  const value = 'input' in issue && issue.input !== undefined ? issue.input : valueAt(root, issue.path);
  const found = value === undefined ? 'nothing (the key is required)' : describeValue(value);
  const own = !zodDefault.test(issue.message);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
      const allowed = o.expectedKeys?.(issue.path);
      return allowed ? `${keys} (expected one of: ${allowed})` : keys;
    }
    case 'invalid_type':
      return `${where}: ${own ? issue.message : `expected ${issue.expected}`}, found ${found}`;
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${describeValue(value)}`;
    default:
      return own ? `${where}: ${issue.message}, found ${found}` : `${where}: ${issue.message.replace(/^Too (small|big): /, '')}; found ${describeValue(value)}`;
  }
}
