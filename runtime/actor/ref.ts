// Location-transparent references. A ref is {path, thread}; the hosting runtime is kept under a
// symbol so structured clone drops it when a ref travels to another thread inside a message.

import type { ActorRef, AskOptions, SendOptions } from './types.ts';

export const HOST = Symbol('actor-runtime.host');
/** Counts refs written by JSON.stringify, so a JSON batch knows whether it needs rehydration. */
export const jsonRefCount = { n: 0 };
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
  /** 1 when the target takes JSON wire mail (see DefOptions.wire). */
  json: 0 | 1;
  [HOST]: RefHost;
  [CELL]: unknown;

  constructor(host: RefHost, path: string, thread: number, json: boolean) {
    this.path = path;
    this.thread = thread;
    this.json = json ? 1 : 0;
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

  /** Keeps the ref marker so a ref inside a JSON-wire message is rehydrated on arrival. */
  toJSON(): PlainRef {
    jsonRefCount.n++;
    return { $ref: 1, path: this.path, thread: this.thread, json: this.json };
  }
}

export interface PlainRef {
  $ref: 1;
  path: string;
  thread: number;
  json?: 0 | 1;
}

export function isPlainRef(v: unknown): v is PlainRef {
  return v !== null && typeof v === 'object' && (v as PlainRef).$ref === 1;
}
