// The `lottery` topology section's schemas (zod): loaded with the subsystem when a topology runs,
// not by the standalone `lottery server` / `lottery agency` processes (fast start-up).

import { z } from 'zod';
import { DEFAULT_MAX_AMOUNT } from '../../protocols/lottery/index.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './session.ts';
import { isKnownLevel, LEVEL_NAMES } from './tp0log.ts';

/** A TP0 log level name (any case): an unknown one is a configuration error, not a silent INFO. */
const levelName = z.string().refine(isKnownLevel, { error: `expected a log level (${LEVEL_NAMES.join(', ')}, any case)` });

export const serverSchema = z.strictObject({
  mode: z.enum(['lottery', 'echo', 'bet']).default('lottery'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(12345),
  listenBacklog: z.number().int().min(1).max(65535).default(5),
  loggingLevel: levelName.default('INFO'),
  /** Folder of `bets.csv` and the store (relative to the topology file). */
  dataDir: z.string().default('../.data/server'),
  /** Create a missing dataDir outside the project's `.data/` (inside it, it is always created). */
  createDataDir: z.boolean().default(false),
  maxConnections: z.number().int().min(1).max(100_000).default(256),
  winnersHoldMs: z.number().int().min(0).default(30_000),
  idleTimeoutMs: z.number().int().min(100).default(30_000),
  /** Largest request frame (protocol A body, protocol B packet up to its own 8190): the 8 kB packet rule plus a margin. */
  maxFrameBytes: z.number().int().min(64).max(1 << 20).default(DEFAULT_MAX_FRAME_BYTES),
  durability: z.enum(['full', 'normal']).default('full'),
  /** Start from an empty store (demo topologies that are run again and again). */
  resetOnStart: z.boolean().default(false),
});

export const clientSchema = z.strictObject({
  id: z.number().int().min(1),
  /** Data file (default `<data>/agency-<id>.csv`). */
  file: z.string().optional(),
  protocol: z.enum(['A', 'B']).optional(),
  mode: z.enum(['batch', 'bet', 'echo']).optional(),
  batchMaxAmount: z.number().int().min(1).max(9999).optional(),
  /** Single-bet mode (Ex5): the bet to send. */
  bet: z
    .strictObject({ nombre: z.string(), apellido: z.string(), documento: z.string(), nacimiento: z.string(), numero: z.string() })
    .optional(),
});

export const lotterySchema = z.strictObject({
  /** AGENCIES: how many distinct agencies must close before the draw (0: no draw). */
  agencies: z.number().int().min(0).max(100_000),
  /** Acceptors, one per worker thread, all on the same port (reusePort). */
  servers: z.number().int().min(1).max(64).default(1),
  /** The acceptors as separate processes sharing this system's store and draw over node links (cluster/). */
  processes: z.boolean().default(false),
  /** One topology per node (with `nodes:`): `core` holds the store and the draw only, `acceptor` reaches them on `coreNode`. */
  role: z.enum(['server', 'core', 'acceptor']).default('server'),
  coreNode: z.string().optional(),
  server: serverSchema.prefault({}),
  /** Agencies run as actors inside this system (each connects over TCP like a separate process would). */
  clients: z.array(clientSchema).default([]),
  /** Folder of `agency-N.csv` files, or a zip of them (unpacked next to it on first use). */
  data: z.string().optional(),
  protocol: z.enum(['A', 'B', 'mixed']).default('A'),
  batch: z.strictObject({ maxAmount: z.number().int().min(1).max(9999).default(DEFAULT_MAX_AMOUNT) }).prefault({}),
  loop: z.strictObject({ amount: z.number().int().min(0).default(5), period: z.string().default('5s') }).prefault({}),
  logLevel: levelName.default('INFO'),
  /** Stop the whole system once every in-topology agency is done (demo runs). */
  exitWhenDone: z.boolean().default(false),
  /** Prefix TP0 lines with `<source> | ` (server, clientN) as the official harness reads them. */
  prefixLines: z.boolean().default(true),
});

export type LotteryConfig = z.infer<typeof lotterySchema>;
