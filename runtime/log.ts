// Structured logging: one JSON object per line (pino), written synchronously so lines from worker
// threads and the main thread interleave whole. Level from LOG_LEVEL or the topology.

import pino from 'pino';
import type { Logger } from './types.ts';

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

/** A logger bound to an actor path (or any component name). */
export function loggerFor(component: string): Logger {
  const l = rootLogger();
  const wrap = (lvl: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>): void => {
    if (!l.isLevelEnabled(lvl)) return;
    l[lvl]({ at: component, ...fields }, msg);
  };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
