// Per-dispatcher logging (dispatcher.md §2.4): LogLevel 0 none, 1 fatal, 2 error, 3 warning,
// 4 info, 5 debug, 6 verbose. Each dispatcher gets its own pino logger (JSON lines to stderr, as
// the kernel's), so its level is honoured whatever the system's log level is.

import pino from 'pino';
import type { Logger } from '../../runtime/index.ts';

const LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

const roots = new Map<string, pino.Logger>();

export interface DispatcherLogger extends Logger {
  /** LogLevel 6 (verbose). */
  trace(msg: string, fields?: Record<string, unknown>): void;
  readonly level: number;
  enabled(level: number): boolean;
}

export function dispatcherLogger(dispatcher: string, logLevel: number, component: string): DispatcherLogger {
  const key = `${dispatcher}:${logLevel}`;
  let root = roots.get(key);
  if (!root) {
    root = pino(
      { level: LEVELS[Math.max(0, Math.min(6, logLevel))], base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
      pino.destination({ dest: 2, sync: true }),
    );
    roots.set(key, root);
  }
  const l = root;
  const at = component;
  const wrap =
    (lvl: 'trace' | 'debug' | 'info' | 'warn' | 'error') =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (!l.isLevelEnabled(lvl)) return;
      l[lvl]({ dispatcher, at, ...fields }, msg);
    };
  return {
    trace: wrap('trace'),
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    level: logLevel,
    enabled: (level: number) => level <= logLevel,
  };
}
