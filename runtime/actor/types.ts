// Public types of the kernel. Everything a subsystem needs to define, spawn and talk to actors.

/** Address of an actor: a slash path such as `/dispatcher/d01/pair-3/reader`. */
export type ActorPath = string;

/** Where an actor runs: `main` (the main thread), a worker index 0..n-1, or `any` (least loaded worker). */
export type Placement = 'main' | 'any' | number;

export type OverflowPolicy = 'reject' | 'drop-oldest' | 'drop-newest' | 'backpressure';

export interface MailboxOptions {
  /** Maximum queued messages (default 100_000). */
  capacity?: number;
  /** What happens when the mailbox is full (default `reject`). */
  overflow?: OverflowPolicy;
}

export type SupervisionStrategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

export interface BackoffOptions {
  /** First restart delay (ms); 0 restarts at once. */
  minMs: number;
  /** Cap on the delay (ms). */
  maxMs: number;
  /** Random spread as a fraction of the delay (0..1). */
  jitter?: number;
}

/** How a parent treats its failing children. */
export interface SupervisorOptions {
  strategy?: SupervisionStrategy;
  /** At most `maxRestarts` restarts within `withinMs`, then the parent escalates (fails itself). */
  maxRestarts?: number;
  withinMs?: number;
  backoff?: BackoffOptions;
  /**
   * What a failure leads to (default `intensity`: restart until `maxRestarts` within `withinMs`,
   * then escalate). Named so that it crosses threads; a behaviour's `decide` hook overrides it.
   */
  decider?: DeciderPreset;
}

/** What a parent does about one failed child. `escalate`: the parent fails in turn. */
export type SupervisionDecision = 'restart' | 'stop' | 'escalate';

/** What a decider knows about one failure. */
export interface ChildFailure {
  /** Path of the failed child. */
  child: string;
  reason: string;
  /** Time since the parent (re)started the child. */
  uptimeMs: number;
  /** Failures under this parent within `withinMs`, this one included. */
  failuresInWindow: number;
  /** The `data` of the ActorError the child failed with (structured details), if any. */
  data?: unknown;
}

/**
 * Named deciders. `intensity`: the classic restart window. `always-restart`: never gives up (a
 * backoff keeps it from spinning). `quick-death`: escalate when a child dies within
 * `quickDeathMs` of its start, or fails more than `maxRestarts` times within `withinMs`.
 */
export type DeciderPreset = { kind: 'intensity' } | { kind: 'always-restart' } | { kind: 'quick-death'; quickDeathMs: number };

export interface SendOptions {
  /** Lower is served first (default 0). */
  priority?: number;
}

export interface AskOptions extends SendOptions {
  /** Deadline in ms (default 5000). The promise always settles. */
  timeoutMs?: number;
}

/** A typed address. Sending a message that is not an `M` is a compile error. */
export interface ActorRef<M> {
  readonly path: ActorPath;
  /** Thread hosting the actor: -1 main, 0..n-1 workers. */
  readonly thread: number;
  /**
   * Fire and forget. Returns false when the message was refused at once (mailbox full under
   * `reject`, or over capacity under `backpressure`: then wait for `writable()`); cross-thread
   * refusals arrive later as dead letters.
   */
  tell(message: M, options?: SendOptions): boolean;
  /** Request/reply: the target answers with `ctx.reply(value)`. Rejects on timeout, target death, thread death. */
  ask<R = unknown>(message: M, options?: AskOptions): Promise<R>;
  /** Resolves when a backpressure mailbox has room again. */
  writable(): Promise<void>;
}

/** Why an actor ended. `normal` for a requested stop. */
export type StopReason = 'normal' | 'shutdown' | { error: string };

export interface TerminatedEvent {
  ref: ActorRef<unknown>;
  reason: StopReason;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface Timers<M> {
  /** Deliver `message` once after `ms`; replaces a timer with the same key. */
  once(key: string, ms: number, message: M): void;
  /** Deliver `message` every `ms` on a fixed schedule: no slipping, missed ticks are skipped. */
  every(key: string, ms: number, message: M): void;
  cancel(key: string): void;
  has(key: string): boolean;
}
