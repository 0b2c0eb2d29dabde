// The message dispatcher (eventdispatcher.md §2): match entries tried in priority order, the
// catch-all, CALLBACK entries that run and go on, and the HELP list. Pure: the connection that
// owns a dispatcher gives it a DispatcherHost (send, stop, hooks, log), so tests need no socket.

import { ImplementationError, ParameterError, type Message } from '../../protocols/eventdispatcher/index.ts';
import type { Logger } from '../../runtime/index.ts';
import { checkDefinition, type Definitions } from './definitions.ts';

export type MatchResult = 'false' | 'true' | 'callback';
/** Built-in match kinds (listed in HELP when one-to-one*) or a user match function. */
export type MatchKind = 'one-to-one' | 'one-to-one-callback' | 'always' | 'callback';
export type MatchFunction = (expr: string | null, msg: Message) => MatchResult;

export const PRIORITY = { MIN: 0, CALLBACK: 0, DEFAULT: 7, SYSTEM: 10, MAX: 15 } as const;

export interface MatchInit {
  expr?: string | null;
  callback: ((msg: Message) => void) | null | undefined;
  match?: MatchKind | MatchFunction;
  tag?: number;
  priority?: number;
}

export interface MatchEntry {
  readonly expr: string | null;
  readonly callback: (msg: Message) => void;
  readonly match: MatchKind | MatchFunction;
  readonly tag: number;
  readonly priority: number;
}

let lastTag = 0;
/** Tags from a global counter that never yields 0. */
export function nextTag(): number {
  lastTag = lastTag >= 0x7fffffff ? 1 : lastTag + 1;
  return lastTag;
}

/** Validates and builds an entry (the ParameterError texts of §2.1). */
export function makeMatch(init: MatchInit): MatchEntry {
  if (typeof init.callback !== 'function') {
    throw new ParameterError('a callback function is required in dispatcher_match, it cannot be set to nullptr.');
  }
  const expr = init.expr === '' || init.expr === undefined ? null : init.expr;
  const match = init.match ?? 'one-to-one';
  if ((match === 'one-to-one' || match === 'one-to-one-callback') && expr === null) {
    throw new ParameterError('an expression is required for the one_to_one_match().');
  }
  const priority = init.priority ?? PRIORITY.DEFAULT;
  if (!Number.isInteger(priority) || priority < 0) throw new ParameterError(`priority ${priority} is not valid for dispatcher match.`);
  if (priority > PRIORITY.MAX) throw new ParameterError('priority too large for dispatcher match.');
  return { expr, callback: init.callback, match, tag: init.tag ?? 0, priority };
}

function runMatch(e: MatchEntry, msg: Message): MatchResult {
  switch (e.match) {
    case 'one-to-one':
      return e.expr === msg.command ? 'true' : 'false';
    case 'one-to-one-callback':
      return e.expr === msg.command ? 'callback' : 'false';
    case 'always':
      return 'true';
    case 'callback':
      return 'callback';
    default:
      return e.match(e.expr, msg);
  }
}

/** What the dispatcher needs from the connection that owns it. */
export interface DispatcherHost {
  log: Logger;
  /** Nothing matched and there is no catch-all (§2.2 step 4). Default: throw ImplementationError. */
  processMessage?(msg: Message): void;
  /** Adds names to HELP when there is a catch-all, a null-expression or a custom match (§2.4). */
  help?(names: Set<string>): void;
}

export class Dispatcher {
  #entries: MatchEntry[] = [];
  #catchAll: MatchEntry | null = null;
  #helpCallbacks: ((names: Set<string>) => void)[] = [];
  readonly host: DispatcherHost;
  /** Optional message definitions (§2.5); checked before each callback when set. */
  definitions: Definitions | null = null;
  /** Throw ImplementationError on a failed definition check (dev/test mode) instead of logging. */
  strictDefinitions = false;

  constructor(host: DispatcherHost) {
    this.host = host;
  }

  /** Inserts before the first entry whose priority is strictly greater (FIFO among equals). */
  addMatch(init: MatchInit | MatchEntry): MatchEntry {
    const e = makeMatch(init as MatchInit);
    if (e.match === 'always') {
      if (this.#catchAll !== null) {
        throw new ImplementationError('add_match() called with a second "always_match()" rule; only one catch-all is allowed.');
      }
      this.#catchAll = e;
      return e;
    }
    const at = this.#entries.findIndex((x) => x.priority > e.priority);
    if (at === -1) this.#entries.push(e);
    else this.#entries.splice(at, 0, e);
    return e;
  }

  /** Removes every entry carrying `tag` (0 is a no-op). */
  removeMatches(tag: number): void {
    if (tag === 0) return;
    this.#entries = this.#entries.filter((e) => e.tag !== tag);
    if (this.#catchAll?.tag === tag) this.#catchAll = null;
  }

  addHelpCallback(cb: (names: Set<string>) => void): void {
    this.#helpCallbacks.push(cb);
  }

  /** The try order (the catch-all excluded). */
  get entries(): readonly MatchEntry[] {
    return this.#entries;
  }

  get catchAll(): MatchEntry | null {
    return this.#catchAll;
  }

  /** §2.2. Returns true when an entry or the catch-all handled the message. */
  dispatch(msg: Message): boolean {
    let ranCallback = false;
    for (const e of this.#entries) {
      const r = runMatch(e, msg);
      if (r === 'false') continue;
      msg.processed = true;
      this.#run(e, msg);
      if (r === 'true') return true;
      ranCallback = true;
    }
    if (ranCallback) return true;
    if (this.#catchAll !== null) {
      msg.processed = true;
      this.#run(this.#catchAll, msg);
      return true;
    }
    if (this.host.processMessage) this.host.processMessage(msg);
    else {
      throw new ImplementationError(
        `your class is not reimplementing the process_message() virtual function and your dispatcher did not catch message "${msg.toString()}".`,
      );
    }
    return false;
  }

  #run(e: MatchEntry, msg: Message): void {
    if (this.definitions !== null) {
      const problem = checkDefinition(this.definitions, msg);
      if (problem !== null) {
        const text = `message "${msg.toString()}" does not match its definition: ${problem}`;
        if (this.strictDefinitions) throw new ImplementationError(text);
        this.host.log.error(text, { command: msg.command });
        return;
      }
    }
    e.callback(msg);
  }

  /** The sorted, de-duplicated COMMANDS list (§2.4); throws ImplementationError when empty. */
  commandList(): string {
    const names = new Set<string>();
    let needHelp = this.#catchAll !== null;
    for (const e of this.#entries) {
      if (e.match === 'one-to-one' || e.match === 'one-to-one-callback') names.add(e.expr as string);
      else if (e.expr === null || typeof e.match === 'function') needHelp = true;
    }
    if (needHelp) {
      if (this.host.help) this.host.help(names);
      else for (const cb of this.#helpCallbacks) cb(names);
    }
    if (names.size === 0) throw new ImplementationError('the list of commands cannot be empty.');
    return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(',');
  }
}
