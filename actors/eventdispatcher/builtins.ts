// The built-in commands (eventdispatcher.md §2.3), all at SYSTEM priority so that a user entry at
// the default priority for the same command overrides them, and the catch-all that answers UNKNOWN.

import { Message, formatTimespecFixed, timespecFromMicros } from '../../protocols/eventdispatcher/index.ts';
import { PRIORITY, type Dispatcher } from './dispatcher.ts';

/** What the built-ins need from their connection. */
export interface BuiltinHost {
  /** Sends on the connection that owns the dispatcher; false when it could not. */
  send(msg: Message, cache?: boolean): boolean;
  /** `quitting`: the whole system goes down (QUITTING); else only this service (STOP). */
  stop(quitting: boolean): void;
  /** READY hook (default: WARNING). */
  ready?(msg: Message): void;
  /** RESTART hook (default: WARNING). */
  restart?(msg: Message): void;
  /** Reopen the log outputs (pino on stderr has nothing to reopen: the hook may be absent). */
  logRotate?(): void;
  /** Current time in µs since the epoch (injectable for tests). */
  nowUs?(): number;
}

/** Per-dispatcher state the built-ins keep (READY's address). */
export interface BuiltinState {
  readyAddress: string | null;
  ready: boolean;
}

export const BUILTIN_COMMANDS = [
  'ALIVE', 'HELP', 'INVALID', 'LEAK', 'LOG_ROTATE', 'QUITTING', 'READY', 'RESTART', 'SERVICE_UNAVAILABLE', 'STOP', 'UNKNOWN',
] as const;

function reply(orig: Message, command: string): Message {
  const m = new Message();
  m.setCommand(command);
  m.replyTo(orig);
  return m;
}

/** `addCommunicatorCommands(autoCatchAll = true)`. Returns the state the READY built-in updates. */
export function addCommunicatorCommands(d: Dispatcher, host: BuiltinHost, autoCatchAll = true): BuiltinState {
  const state: BuiltinState = { readyAddress: null, ready: false };
  const log = d.host.log;
  const add = (expr: string, callback: (msg: Message) => void): void => {
    d.addMatch({ expr, callback, priority: PRIORITY.SYSTEM });
  };
  add('ALIVE', (msg) => {
    const r = reply(msg, 'ABSOLUTELY');
    if (msg.hasParameter('serial')) r.addParameter('serial', msg.getParameter('serial'));
    if (msg.hasParameter('timestamp')) r.addParameter('timestamp', msg.getParameter('timestamp'));
    const now = host.nowUs ? host.nowUs() : Date.now() * 1000;
    r.addParameter('reply_timestamp', formatTimespecFixed(timespecFromMicros(now)));
    if (!host.send(r, false)) log.warn('could not reply to ALIVE with ABSOLUTELY', { to: `${r.server}:${r.service}` });
  });
  add('HELP', (msg) => {
    const r = reply(msg, 'COMMANDS');
    r.addParameter('list', d.commandList());
    host.send(r, false);
  });
  add('STOP', () => host.stop(false));
  add('QUITTING', () => host.stop(true));
  add('READY', (msg) => {
    if (msg.hasParameter('my_address')) state.readyAddress = msg.getParameter('my_address');
    if (host.ready) host.ready(msg);
    else log.warn('READY received; this connection has no ready() hook', { myAddress: state.readyAddress });
    state.ready = true;
  });
  add('RESTART', (msg) => {
    if (host.restart) host.restart(msg);
    else log.warn('RESTART received; this connection has no restart() hook', { message: msg.toString() });
  });
  add('LOG_ROTATE', () => {
    log.info('LOG_ROTATE: reopening the log outputs');
    host.logRotate?.();
    log.info('LOG_ROTATE: log outputs reopened');
  });
  const complain = (msg: Message): void => {
    const command = msg.hasParameter('command') ? msg.getParameter('command') : '<undefined>';
    let text = `we sent command "${command}" and the destination replied with "${msg.command}" so we probably did not get the expected result.`;
    if (msg.hasParameter('message')) text += ` Message: ${msg.getParameter('message')}`;
    log.error(text);
  };
  add('INVALID', complain);
  add('UNKNOWN', complain);
  add('LEAK', () => log.debug('LEAK: no leak report in this runtime', { heapUsed: process.memoryUsage().heapUsed }));
  add('SERVICE_UNAVAILABLE', () => {});
  if (autoCatchAll) {
    d.addMatch({
      match: 'always',
      callback: (msg) => {
        log.info('unknown command', { command: msg.command });
        const r = reply(msg, 'UNKNOWN');
        r.addParameter('command', msg.command);
        host.send(r, false);
      },
    });
  }
  return state;
}

/** `REGISTER service=<name>;version=1` (no destination). */
export function registerMessage(service: string): Message {
  const m = new Message();
  m.setCommand('REGISTER');
  m.addParameter('service', service);
  m.addVersionParameter();
  return m;
}

export function unregisterMessage(service: string): Message {
  const m = new Message();
  m.setCommand('UNREGISTER');
  m.addParameter('service', service);
  return m;
}
