// Typed kernel errors: every ask rejection and refused send names what happened and to whom.

export class ActorError extends Error {
  readonly code: string;
  readonly path: string;
  /** Structured details (cloneable) that survive the trip to the asker on any thread. */
  readonly data: unknown;
  constructor(code: string, path: string, message: string, data?: unknown) {
    super(message);
    this.name = 'ActorError';
    this.code = code;
    this.path = path;
    this.data = data;
  }
}

export const askTimeout = (path: string, ms: number): ActorError =>
  new ActorError('ask-timeout', path, `ask to ${path} timed out after ${ms} ms`);
export const actorDead = (path: string, why: string): ActorError =>
  new ActorError('actor-dead', path, `actor ${path} is gone (${why})`);
export const threadDied = (path: string, thread: number): ActorError =>
  new ActorError('thread-died', path, `thread ${thread} hosting ${path} died`);
export const mailboxFull = (path: string, capacity: number): ActorError =>
  new ActorError('mailbox-full', path, `mailbox of ${path} is full (capacity ${capacity})`);
export const remoteFailure = (path: string, message: string): ActorError =>
  new ActorError('remote-error', path, message);

/** A plain, cloneable description of a thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
