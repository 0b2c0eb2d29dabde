// Shared helpers for the event dispatcher tests: a recording logger and bounded polling.

import type { Logger } from '../../runtime/index.ts';
import { waitFor as waitForBase } from '../runtime/helpers.ts';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields?: Record<string, unknown>;
}

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (msg: string, fields?: Record<string, unknown>): void => {
    lines.push({ level, msg, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export { sleep } from '../runtime/helpers.ts';

/** Polls `fn` until it returns a truthy value (runtime/helpers' waitFor with a longer default: these tests cross real sockets). */
export function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 8000, everyMs = 5): Promise<NonNullable<T>> {
  return waitForBase(fn, what, timeoutMs, everyMs);
}
