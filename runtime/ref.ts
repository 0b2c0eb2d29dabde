// Location-transparent references. A ref is {path, thread}; the hosting runtime is kept under a
// symbol so structured clone drops it when a ref travels to another thread inside a message.

import type { ActorRef, AskOptions, SendOptions } from './types.ts';

export const HOST = Symbol('actor-runtime.host');
export const CELL = Symbol('actor-runtime.cell');

/** What a ref needs from the runtime of its thread. */
export interface RefHost {
  tell(ref: Ref<any>, message: unknown, priority: number): boolean;
  ask<R>(ref: Ref<any>, message: unknown, options: AskOptions | undefined): Promise<R>;
  writable(ref: Ref<any>): Promise<void>;
}

export class Ref<M> implements ActorRef<M> {
  /** Marks a plain object as a ref after a thread hop (see `rehydrate`). */
  readonly $ref = 1;
  readonly path: string;
  readonly thread: number;
  [HOST]: RefHost;
  [CELL]: unknown;

  constructor(host: RefHost, path: string, thread: number) {
    this.path = path;
    this.thread = thread;
    this[HOST] = host;
    this[CELL] = undefined;
  }

  tell(message: M, options?: SendOptions): boolean {
    return this[HOST].tell(this, message, options?.priority ?? 0);
  }

  ask<R = unknown>(message: M, options?: AskOptions): Promise<R> {
    return this[HOST].ask<R>(this, message, options);
  }

  writable(): Promise<void> {
    return this[HOST].writable(this);
  }

  toString(): string {
    return `ActorRef(${this.path}@${this.thread < 0 ? 'main' : `t${this.thread}`})`;
  }

  toJSON(): { path: string; thread: number } {
    return { path: this.path, thread: this.thread };
  }
}

export interface PlainRef {
  $ref: 1;
  path: string;
  thread: number;
}

export function isPlainRef(v: unknown): v is PlainRef {
  return v !== null && typeof v === 'object' && (v as PlainRef).$ref === 1;
}
