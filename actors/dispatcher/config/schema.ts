// The shape of a dispatcher entry (dispatcher.md §2.1, §2.5) and of the topology's `dispatchers`
// section, as zod schemas whose messages say what is expected.

import net from 'node:net';
import { z } from 'zod';
import { DISPATCH_FRAMINGS, type DispatchFraming } from '../../../protocols/dispatcher/index.ts';

const intIn = (min: number, max = Number.MAX_SAFE_INTEGER) => {
  const m = max === Number.MAX_SAFE_INTEGER ? `expected an integer ≥ ${min}` : `expected an integer ${min}..${max}`;
  return z.number({ error: m }).int({ error: m }).min(min, { error: m }).max(max, { error: m });
};

function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  const addr = slash === -1 ? s : s.slice(0, slash);
  const kind = net.isIP(addr);
  if (kind === 0) return false;
  if (slash === -1) return true;
  const p = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p)) return false;
  return Number(p) <= (kind === 4 ? 32 : 128);
}

const ipSchema = z.string({ error: 'expected an IPv4/IPv6 literal, 0.0.0.0 or ::' }).refine((s) => net.isIP(s) !== 0, {
  error: 'expected an IPv4/IPv6 literal, 0.0.0.0 or ::',
});
const cidrList = z.array(z.string({ error: 'expected an address or CIDR string' }).refine(isCidr, { error: 'expected an IPv4/IPv6 address or CIDR (10.0.0.0/8, fd00::/8)' }), {
  error: 'expected a list of addresses or CIDRs',
});
const pathString = z.string({ error: 'expected a path string' }).min(1, { error: 'expected a non-empty path' });

const legacyHandler = z.strictObject({ Kind: z.literal('legacy-tx'), ServiceDelayMs: intIn(0).optional() });
const moduleHandler = z.strictObject({
  Kind: z.literal('module'),
  Module: pathString,
  Export: z.string().min(1).optional(),
  Concurrency: intIn(1, 100_000).optional(),
  /** `thread` (default): on handler threads; `inline`: on the I/O thread (non-blocking handlers, see inline-runner.ts). */
  Placement: z.enum(['thread', 'inline']).optional(),
});
const processHandler = z.strictObject({
  Kind: z.literal('process'),
  Command: pathString.optional(),
  Args: z.array(z.string()).optional(),
  Env: z.record(z.string(), z.string()).optional(),
  Cwd: pathString.optional(),
});
const handlerSchema = z.discriminatedUnion('Kind', [legacyHandler, moduleHandler, processHandler], {
  error: 'expected {"Kind": "legacy-tx" | "module" | "process", ...}',
});

const workersSchema = z
  .strictObject({ Min: intIn(1, 1024).optional(), Max: intIn(1, 1024).optional(), IdleMs: intIn(0).optional() })
  .refine((w) => w.Min === undefined || w.Max === undefined || w.Max >= w.Min, { error: 'Workers.Max must be ≥ Workers.Min', path: ['Max'] });
const restartSchema = z.strictObject({
  QuickDeathMs: intIn(0).optional(),
  MaxRestarts: intIn(0).optional(),
  WithinMs: intIn(1).optional(),
  /** What giving up stops: this dispatcher only (default) or the whole runtime (exit 1, as the original). */
  OnGiveUp: z.enum(['stop-dispatcher', 'stop-runtime']).optional(),
});

/** Every key a dispatcher entry may carry (§2.1 and §2.5), all optional here. */
const entryShape = {
  Name: z.string({ error: 'expected a name' }).regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected letters, digits, _ . -' }).optional(),
  IP: ipSchema.optional(),
  Port: intIn(1, 65535).optional(),
  NumThreads: intIn(1, 4096).optional(),
  MaxConnections: intIn(1, 1_000_000).optional(),
  StopTimeout: intIn(0, 86_400).optional(),
  LogLevel: intIn(0, 6).optional(),
  TuxCliProg: pathString.optional(),
  TuxCliSetup: pathString.optional(),
  IpcFile: pathString.optional(),
  Allow: cidrList.optional(),
  Trace: cidrList.optional(),
  Framing: z.enum(DISPATCH_FRAMINGS as [DispatchFraming, ...DispatchFraming[]]).optional(),
  MaxFrameBytes: intIn(1, 64 * 1024 * 1024).optional(),
  Protocol: z.enum(['legacy-tx', 'json']).optional(),
  Handler: handlerSchema.optional(),
  Workers: workersSchema.optional(),
  QueueCapacity: intIn(1, 10_000_000).optional(),
  OnQueueFull: z.enum(['pause', 'reject']).optional(),
  MaxInFlightPerConnection: intIn(1, 1_000_000).optional(),
  RequestTimeoutMs: intIn(0).optional(),
  IdleTimeoutMs: intIn(0).optional(),
  FrameTimeoutMs: intIn(0).optional(),
  Backlog: intIn(1, 65535).optional(),
  EvictDuplicatePeer: z.boolean({ error: 'expected true or false' }).optional(),
  Restart: restartSchema.optional(),
  LockFile: pathString.optional(),
  /** Create the lock file's missing folder (default: a missing folder is a configuration error). */
  CreateLockFolder: z.boolean({ error: 'expected true or false' }).optional(),
};

export type EntryInput = z.infer<z.ZodObject<typeof entryShape>>;

/** Entries of the original layout: unknown keys allowed (as in the original). */
export const legacyEntrySchema = z.looseObject(entryShape);
/** Native entries (native document, topology file): unknown keys are typos. */
export const nativeEntrySchema = z.strictObject(entryShape);
/** Overrides: any subset of the keys. */
export const overrideSchema = z.strictObject(entryShape);

/** The `dispatchers` section of a topology file. */
export const sectionSchema = z.strictObject({
  /** An original config.json or a native {"Version":2,...} document, relative to the topology file. */
  config: pathString.optional(),
  /** Per-dispatcher overrides, by dispatcher name (`dispatch01`...). Precedence: override > file > default. */
  overrides: z.record(z.string(), overrideSchema).optional(),
  /** Inline native entries. */
  instances: z.array(nativeEntrySchema).optional(),
});
export type SectionConfig = z.infer<typeof sectionSchema>;
