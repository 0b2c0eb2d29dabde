// Topology files (JSON or YAML): what a system runs. The kernel validates its own keys; each
// registered subsystem contributes a section schema. Errors name the file, the path inside it,
// what was expected and what was found, and never carry a stack trace.

import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { registeredSubsystems, type TopologySection } from './subsystem.ts';
import { ConfigError, describeValue, formatIssue, readDocument } from '../config/index.ts';
import type { NodesConfig } from '../nodes/config.ts';

// zod validates configuration only, once per start (no message is parsed with it): its JIT,
// which compiles a parser per object schema on first use, costs more than it saves here.
z.config({ jitless: true });

/** @deprecated The former name of ConfigError, kept while branches written against it are merged. */
export { ConfigError as TopologyError } from '../config/index.ts';

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
  /** This system as a runtime node linked to its peers over ws (runtime/nodes/config.ts; built only for a file that has the key). */
  nodes: z.undefined().optional(),
  /** The live web view: `[host:]port`, or the address and a file holding the node secret. */
  view: z.union([z.string(), z.number().int().min(0).max(65535), z.strictObject({ address: z.union([z.string(), z.number().int().min(0).max(65535)]), secretFile: z.string().optional() })]).optional(),
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
  view?: string | number | { address: string | number; secretFile?: string };
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

/**
 * The `nodes:` schema, loaded and built only for a file that has the key: building zod schemas
 * is a large part of `run`'s start-up, and most topologies are not nodes. (A synchronous
 * require of our own ES module: validation stays synchronous.)
 */
let nodesSchema: z.ZodType | null = null;
function nodesSchemaLoaded(): z.ZodType {
  nodesSchema ??= (createRequire(import.meta.url)('../nodes/config.ts') as typeof import('../nodes/config.ts')).nodesSchema;
  return nodesSchema;
}

/** The schema of a whole topology; `doc`: the file being judged (kernel keys it lacks get no schema built). */
export function topologySchema(doc?: unknown): z.ZodType {
  const shape: Record<string, z.ZodType> = { ...kernelShape };
  const has = (k: string): boolean => doc === undefined || (doc !== null && typeof doc === 'object' && (doc as Record<string, unknown>)[k] !== undefined);
  if (has('nodes')) shape.nodes = nodesSchemaLoaded().optional();
  for (const s of sectionsInUse()) shape[s.key] = s.schema.optional();
  return z.strictObject(shape);
}

/** Reads, parses and validates a topology file (throws ConfigError, exit 2). */
export function loadTopology(path: string): Topology {
  return validateTopology(path, resolve(path), readDocument(path));
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
    throw new ConfigError(displayPath, [`expected a mapping of top-level keys, found ${describeValue(doc)}`]);
  }
  const schema = topologySchema(doc);
  const result = schema.safeParse(doc, { reportInput: true });
  if (!result.success) throw new ConfigError(displayPath, result.error.issues.map((i) => formatIssue(i, doc, { expectedKeys: (path) => expectedKeys(schema, path) })));
  const data = result.data as Record<string, unknown>;
  const sections = sectionsInUse()
    .filter((s) => data[s.key] !== undefined)
    .map((section) => ({ section, config: data[section.key] }));
  const kernel: KernelConfig = {};
  for (const k of Object.keys(kernelShape)) if (data[k] !== undefined) (kernel as Record<string, unknown>)[k] = data[k];
  return { file, dir: dirname(file), adoptedBy, kernel, sections };
}

/** The keys allowed at `path` of the topology (for unknown-key messages). */
function expectedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string {
  if (path.length === 0) return [...Object.keys(kernelShape), ...sectionsInUse().map((s) => s.key)].join(', ');
  return keysAt(schema, path)?.join(', ') ?? 'see the section schema';
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
