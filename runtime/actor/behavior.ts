// Actor definitions: a named, importable factory of behaviours. Definitions are found by module
// URL and export name so that any worker thread can import and instantiate them.

import type {
  ActorRef,
  ChildFailure,
  SupervisionDecision,
  Logger,
  MailboxOptions,
  Placement,
  StopReason,
  SupervisorOptions,
  TerminatedEvent,
  Timers,
} from './types.ts';

export interface ActorContext<M> {
  readonly self: ActorRef<M>;
  readonly path: string;
  readonly name: string;
  readonly parent: ActorRef<unknown> | null;
  /** Sender of the message being handled (null outside a handler or when sent from outside). */
  readonly sender: ActorRef<unknown> | null;
  /** Thread hosting this actor: -1 for main, 0..n-1 for workers. */
  readonly thread: number;
  readonly timers: Timers<M>;
  readonly log: Logger;
  /** How many times this actor has been restarted. */
  readonly restarts: number;
  /** Answers the ask being handled. No-op when the current message was not an ask. */
  reply(value: unknown): void;
  /** Fails the ask being handled with an error message. */
  replyError(error: unknown): void;
  /** Captures the pending ask so it can be answered later (after async work). */
  deferReply(): Reply | null;
  spawn<C, P>(def: ActorDef<C, P>, options: SpawnOptions<P>): ActorRef<C>;
  /** Stops a child (or this actor when no ref is given). */
  stop(ref?: ActorRef<unknown>): void;
  watch(ref: ActorRef<unknown>): void;
  unwatch(ref: ActorRef<unknown>): void;
  /** A disabled actor keeps its mail and timer ticks queued until enabled. */
  enable(ref?: ActorRef<unknown>): void;
  disable(ref?: ActorRef<unknown>): void;
  /** Crash deliberately (from a callback outside receive): the supervisor decides. */
  fail(error: unknown): void;
  children(): ActorRef<unknown>[];
  /** Finds any actor by path, on any thread. */
  lookup<T = unknown>(path: string): Promise<ActorRef<T> | undefined>;
  /** Ref for a known path and thread (no check that it exists). */
  refFor<T = unknown>(path: string, thread: number): ActorRef<T>;
  /**
   * State shared by the actors of this thread under `key`: created by `init` for the first
   * actor that opens it, kept across restarts, disposed of when the last actor holding it stops.
   */
  threadLocal<T>(key: string, init: () => T, dispose?: (value: T) => void): T;
}

export interface Reply {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface Behavior<M> {
  /** Handles one message. A returned promise holds the mailbox until it settles; a throw is a crash. */
  receive(message: M, ctx: ActorContext<M>): void | Promise<void>;
  /** Runs after creation and after every restart. */
  started?(ctx: ActorContext<M>): void | Promise<void>;
  /** Stop hook: always runs, on stop, on restart and on crash. */
  stopped?(ctx: ActorContext<M>, reason: StopReason): void;
  /**
   * A child failed: return what to do, or undefined to apply the supervisor's named decider. Runs
   * on this actor's thread, so it may use the actor's own state (a subsystem-wide restart window).
   */
  decide?(failure: ChildFailure): SupervisionDecision | undefined;
  /** A watched actor ended. */
  terminated?(event: TerminatedEvent, ctx: ActorContext<M>): void;
  /** Extra state shown by `inspect` (a connection table, counters...). Must be cloneable. */
  inspect?(): unknown;
}

export interface DefOptions {
  /** How this actor supervises its children. */
  supervisor?: SupervisorOptions;
  mailbox?: MailboxOptions;
  /**
   * How mail to this actor crosses threads. `clone` (default): structured clone, any cloneable
   * value. `json`: the messages are plain JSON data (no Buffers, Dates, Maps; undefined fields
   * vanish); a batch then crosses as one JSON string, about 2.5x cheaper per message.
   */
  wire?: 'clone' | 'json';
}

export interface ActorDef<M, P = void> {
  readonly id: string;
  readonly module: string;
  readonly name: string;
  readonly options: DefOptions;
  readonly create: (props: P, ctx: ActorContext<M>) => Behavior<M>;
  /** Phantom field carrying the message type. */
  readonly __messages?: M;
}

export interface SpawnOptions<P> {
  name: string;
  props: P;
  thread?: Placement;
  mailbox?: MailboxOptions;
  supervisor?: SupervisorOptions;
  /** Scheduling priority of the actor: lower is run first (default 0). */
  priority?: number;
  /** Start disabled: mail waits until `enable`. */
  disabled?: boolean;
  /**
   * `permanent` (default): restarted when it crashes. `temporary`: never restarted; a crash stops
   * it and does not count towards the parent's restart intensity (a connection, a one-shot job).
   */
  restart?: 'permanent' | 'temporary';
  /**
   * Emit no spawn/stop events for this actor (they still count in `inspect` totals): for actors
   * created by the thousand, such as one per connection, where each event would cross threads.
   */
  quiet?: boolean;
}

const registry = new Map<string, ActorDef<any, any>>();

/**
 * Defines an actor kind. `module` is the defining module's `import.meta.url`; `name` must be the
 * name it is exported under, or any unique name within the module.
 */
export function defineActor<M, P = void>(
  module: string,
  name: string,
  create: (props: P, ctx: ActorContext<M>) => Behavior<M>,
  options: DefOptions = {},
): ActorDef<M, P> {
  const id = `${module}#${name}`;
  const def: ActorDef<M, P> = { id, module, name, options, create };
  registry.set(id, def);
  return def;
}

export function findDef(id: string): ActorDef<unknown, unknown> | undefined {
  return registry.get(id);
}

/** Imports the defining module if this thread has not loaded it yet. */
export async function loadDef(module: string, name: string): Promise<ActorDef<unknown, unknown>> {
  const id = `${module}#${name}`;
  let def = registry.get(id);
  if (!def) {
    await import(module);
    def = registry.get(id);
  }
  if (!def) throw new Error(`actor definition ${name} not found in ${module}`);
  return def;
}
