// Structured logging: one JSON object per line (pino), written synchronously so lines from worker
// threads and the main thread interleave whole. Level from LOG_LEVEL or the topology.
// pino loads on the first line actually written (fast start-up, issue 12): level checks and
// loggers that never write cost no module load, which keeps it off every thread's path to listening.

import { createRequire } from 'node:module';
import type { Logger as PinoLogger } from 'pino';
import type { Logger } from '../actor/types.ts';

type PinoModule = typeof import('pino');

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

let level = process.env.LOG_LEVEL ?? 'info';
let root: PinoLogger | null = null;

/** The pino root, loading pino now if it was not loaded yet (a synchronous require: pino is CommonJS). */
export function rootLogger(): PinoLogger {
  if (!root) {
    const pino = createRequire(import.meta.url)('pino') as PinoModule['default'];
    root = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }));
  }
  return root;
}

export function setLogLevel(name: string): void {
  // A name we do not know goes to pino now, so that it is refused exactly as before.
  if (root || !(name in LEVELS)) rootLogger().level = name;
  level = name;
}

/** Whether pino has been loaded in this thread (start-up tests). */
export function pinoLoaded(): boolean {
  return root !== null;
}

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface LoggerOptions {
  /** A level of its own (e.g. a dispatcher's LogLevel), independent of the system's; default: follow it. */
  level?: LogLevelName;
  /** Fields written before `at` on every line (e.g. `{ dispatcher: 'd1' }`). */
  fields?: Record<string, unknown>;
}

export interface LevelLogger extends Logger {
  trace(msg: string, fields?: Record<string, unknown>): void;
  enabled(level: 'trace' | 'debug' | 'info' | 'warn' | 'error'): boolean;
}

/**
 * A logger bound to an actor path (or any component name). Every logger writes through the one
 * pino root; one with its own level is a pino child with that level, made on its first line.
 */
export function loggerFor(component: string, o: LoggerOptions = {}): LevelLogger {
  const own = o.level;
  let l: PinoLogger | null = null;
  const pinoFor = (): PinoLogger => (l ??= own === undefined ? rootLogger() : rootLogger().child({}, { level: own }));
  const enabled = (lvl: string): boolean => {
    const min = LEVELS[own ?? level];
    return min === undefined ? pinoFor().isLevelEnabled(lvl) : LEVELS[lvl] >= min; // a level we do not know: pino decides (or refuses it)
  };
  const base = o.fields;
  const wrap = (lvl: 'trace' | 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>): void => {
    if (!enabled(lvl)) return;
    pinoFor()[lvl](base === undefined ? { at: component, ...fields } : { ...base, at: component, ...fields }, msg);
  };
  return {
    trace: wrap('trace'),
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    enabled,
  };
}
