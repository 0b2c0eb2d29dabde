// Per-dispatcher logging (dispatcher.md §2.4): LogLevel 0 none, 1 fatal, 2 error, 3 warning,
// 4 info, 5 debug, 6 verbose. Each dispatcher's logger has its own level (a child of the kernel's
// one logger root), so its LogLevel is honoured whatever the system's log level is.

import { loggerFor, type LevelLogger } from '../../runtime/log/log.ts';

const LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export interface DispatcherLogger extends LevelLogger {
  readonly level: number;
}

export function dispatcherLogger(dispatcher: string, logLevel: number, component: string): DispatcherLogger {
  const level = Math.max(0, Math.min(6, logLevel));
  return { ...loggerFor(component, { level: LEVELS[level], fields: { dispatcher } }), level: logLevel };
}
