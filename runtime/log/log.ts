// Structured logging: one JSON object per line (pino), written synchronously so lines from worker
// threads and the main thread interleave whole. Level from LOG_LEVEL or the topology.

import pino from 'pino';
import type { Logger } from '../actor/types.ts';

let root: pino.Logger | null = null;

export function rootLogger(level = process.env.LOG_LEVEL ?? 'info'): pino.Logger {
  if (!root) {
    root = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }));
  }
  return root;
}

export function setLogLevel(level: string): void {
  rootLogger().level = level;
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
 * pino root; one with its own level is a pino child with that level.
 */
export function loggerFor(component: string, o: LoggerOptions = {}): LevelLogger {
  const root = rootLogger();
  const l = o.level === undefined ? root : root.child({}, { level: o.level });
  const base = o.fields;
  const wrap = (lvl: 'trace' | 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>): void => {
    if (!l.isLevelEnabled(lvl)) return;
    l[lvl](base === undefined ? { at: component, ...fields } : { ...base, at: component, ...fields }, msg);
  };
  return {
    trace: wrap('trace'),
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    enabled: (lvl) => l.isLevelEnabled(lvl),
  };
}
