// Topology files (JSON or YAML): what a system runs. The kernel validates its own keys; each
// registered subsystem contributes a section schema. Errors name the file, the path inside it,
// what was expected and what was found, and never carry a stack trace.

import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { z } from 'zod';
import YAML from 'yaml';
import { registeredSubsystems, type TopologySection } from './subsystem.ts';
import { nodesSchema, type NodesConfig } from './nodes/config.ts';

export class TopologyError extends Error {
  readonly file: string;
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(problems.map((p) => `${file}: ${p}`).join('\n'));
    this.name = 'TopologyError';
    this.file = file;
    this.problems = problems;
  }
}

const backoff = z.strictObject({ minMs: z.number().min(0), maxMs: z.number().min(0), jitter: z.number().min(0).max(1).optional() });
export const supervisorSchema = z.strictObject({
  strategy: z.enum(['one-for-one', 'one-for-all', 'rest-for-one']).optional(),
  maxRestarts: z.number().int().min(0).optional(),
  withinMs: z.number().int().min(1).optional(),
  backoff: backoff.optional(),
});

const kernelShape = {
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . -').optional(),
  /** Worker threads; default one per core. */
  threads: z.number().int().min(0).max(64).optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  supervisor: supervisorSchema.optional(),
  /** Control socket for `inspect`/`top`: true (default, in the temp dir), false, or a path. */
  control: z.union([z.boolean(), z.string()]).optional(),
  /** Stop by itself after this many seconds (demos, smoke runs). */
  runForSeconds: z.number().positive().optional(),
  /** Thread for actors by path (`main`, `any` or a worker index), overriding what the code asks. */
  placement: z.record(z.string().regex(/^\//, 'an actor path starting with /'), z.union([z.literal('main'), z.literal('any'), z.number().int().min(0)])).optional(),
  /** This system as a runtime node linked to its peers over ws (runtime/nodes/config.ts). */
  nodes: nodesSchema.optional(),
};

export interface KernelConfig {
  name?: string;
  threads?: number;
  logLevel?: string;
  supervisor?: z.infer<typeof supervisorSchema>;
  control?: boolean | string;
  runForSeconds?: number;
  placement?: Record<string, 'main' | 'any' | number>;
  nodes?: NodesConfig;
}

export interface Topology {
  file: string;
  dir: string;
  /** Set when the file was in a foreign layout converted by a subsystem. */
  adoptedBy?: string;
  kernel: KernelConfig;
  sections: { section: TopologySection<any>; config: unknown }[];
}

function sectionsInUse(): TopologySection<any>[] {
  return registeredSubsystems().flatMap((s) => s.sections ?? []);
}

export function topologySchema(): z.ZodType {
  const shape: Record<string, z.ZodType> = { ...kernelShape };
  for (const s of sectionsInUse()) shape[s.key] = s.schema.optional();
  return z.strictObject(shape);
}

export function loadTopology(path: string): Topology {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TopologyError(path, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  const raw = parseText(path, text);
  return validateTopology(path, file, raw);
}

export function parseText(path: string, text: string): unknown {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new TopologyError(path, [`not valid JSON: ${(err as Error).message}`]);
    }
  }
  // linePos is only filled in with prettyErrors, which also rewrites the message: count lines ourselves.
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new TopologyError(
      path,
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0]);
        return `line ${at.line}, column ${at.col}: not valid YAML: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  return doc.toJS();
}

export function validateTopology(displayPath: string, file: string, raw: unknown): Topology {
  let doc = raw;
  let adoptedBy: string | undefined;
  for (const s of registeredSubsystems()) {
    const adopted = s.adoptFile?.(raw, displayPath);
    if (adopted) {
      doc = adopted;
      adoptedBy = s.name;
      break;
    }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new TopologyError(displayPath, [`expected a mapping of top-level keys, found ${describeValue(doc)}`]);
  }
  const result = topologySchema().safeParse(doc, { reportInput: true });
  if (!result.success) throw new TopologyError(displayPath, result.error.issues.map((i) => describeIssue(i, doc)));
  const data = result.data as Record<string, unknown>;
  const sections = sectionsInUse()
    .filter((s) => data[s.key] !== undefined)
    .map((section) => ({ section, config: data[section.key] }));
  const kernel: KernelConfig = {};
  for (const k of Object.keys(kernelShape)) if (data[k] !== undefined) (kernel as Record<string, unknown>)[k] = data[k];
  return { file, dir: dirname(file), adoptedBy, kernel, sections };
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const where = formatPath(issue.path);
  const found = 'input' in issue ? issue.input : valueAt(root, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (expected one of: ${expectedKeys(issue.path, root)})`;
    case 'invalid_type':
      return `${where}: expected ${issue.expected}, found ${found === undefined ? 'nothing (the key is required)' : describeValue(found)}`;
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${describeValue(found)}`;
    case 'too_small':
    case 'too_big':
      return `${where}: ${issue.message.replace(/^Too (small|big): /, '')}; found ${describeValue(found)}`;
    default:
      return `${where}: ${issue.message}; found ${describeValue(found)}`;
  }
}

function expectedKeys(path: readonly PropertyKey[], _root: unknown): string {
  if (path.length === 0) return [...Object.keys(kernelShape), ...sectionsInUse().map((s) => s.key)].join(', ');
  return keysAt(topologySchema(), path)?.join(', ') ?? 'see the section schema';
}

/** Keys of the object schema found at `path` (through optional/default wrappers, lists and records). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | null {
  type Node = { shape?: Record<string, unknown>; _zod?: { def?: { innerType?: Node; element?: Node; valueType?: Node } } } | undefined;
  const unwrap = (n: Node): Node => {
    while (n?._zod?.def?.innerType) n = n._zod.def.innerType;
    return n;
  };
  let n = unwrap(schema as unknown as Node);
  for (const p of path) {
    if (typeof p === 'number') n = n?._zod?.def?.element;
    else n = (n?.shape?.[String(p)] as Node) ?? n?._zod?.def?.valueType;
    n = unwrap(n);
  }
  return n?.shape ? Object.keys(n.shape) : null;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}
