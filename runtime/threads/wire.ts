// The cross-thread wire format: one flat array of records per batch. Each record is its kind
// followed by fixed fields; the layouts below name every field's offset from the record's start,
// so the encoder (outbox.ts, `Outbox`) and the decoder (`decodeBatch` here) cannot disagree on a
// bare number. Plain functions and constant offsets: this runs for every message that crosses.

import { isColumns, decodeColumns } from './columns.ts';
import { isPlainRef } from '../actor/ref.ts';
import type { Ref } from '../actor/ref.ts';
import type { Cell } from '../actor/cell.ts';
import type { HostMsg, SysMsg } from '../kernel/host-types.ts';

export const K_MAIL = 0;
export const K_REPLY = 1;
export const K_SYS = 2;
export const K_HOST = 3;
export const K_RUN = 4;
export const K_JRUN = 5;

/** One message with an ask id or a priority. */
export const MAIL = { to: 1, msg: 2, fromPath: 3, fromThread: 4, askId: 5, priority: 6, length: 7 } as const;
/** The answer to an ask: ok is 1 (value) or 0 (a plain error record). */
export const REPLY = { askId: 1, ok: 2, value: 3, length: 4 } as const;
/** A system message for a cell. */
export const SYS = { to: 1, sys: 2, length: 3 } as const;
/** A message between hosts. */
export const HOST = { msg: 1, length: 2 } as const;
/** Consecutive plain tells to one actor: a message array, or its Columns. */
export const RUN = { to: 1, fromPath: 2, fromThread: 3, body: 4, length: 5 } as const;
/** The same for a JSON-wire actor: JSON text, Columns or the array; hasRefs is 1 or 0. */
export const JRUN = { to: 1, fromPath: 2, fromThread: 3, body: 4, hasRefs: 5, length: 6 } as const;

const LENGTHS = [MAIL.length, REPLY.length, SYS.length, HOST.length, RUN.length, JRUN.length];

/** Length of a record of this kind (throws on a kind that is not on the wire). */
export function recordLength(kind: number): number {
  const n = LENGTHS[kind];
  if (n === undefined) throw new Error(`corrupt cross-thread batch: record kind ${String(kind)}`);
  return n;
}

/** What the decoder hands records to: the receiving thread's Host. */
export interface WireSink {
  readonly thread: number;
  readonly cells: Map<string, Cell>;
  refFor<T>(path: string, thread: number, json?: boolean): Ref<T>;
  holdMail(path: string, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number, fromThread: number): boolean;
  deliverLocal(cell: Cell, msg: unknown, from: Ref<unknown> | null, askId: number, priority: number, fromThread: number): boolean;
  settle(askId: number, ok: number, value: unknown): void;
  sysArrived(path: string, sys: SysMsg): void;
  handleHost(m: HostMsg): void;
}

/** Refs inside a message arrive as plain objects: turns top-level ones back into live refs. */
export function rehydrate(h: WireSink, msg: Record<string, unknown>): void {
  if (ArrayBuffer.isView(msg)) return;
  for (const k in msg) {
    const v = msg[k];
    if (isPlainRef(v)) msg[k] = h.refFor(v.path, v.thread, v.json === 1);
  }
}

/** Delivers a run of messages from one sender to one actor, in order; refs inside are rebuilt when `refs`. */
function deliverRun(h: WireSink, to: string, fromPath: string | null, fromThread: number, list: unknown[], refs: boolean): void {
  const cell = h.cells.get(to);
  const from = fromPath === null ? null : h.refFor<unknown>(fromPath, fromThread);
  for (let j = 0; j < list.length; j++) {
    const msg = list[j];
    if (refs && msg !== null && typeof msg === 'object') rehydrate(h, msg as Record<string, unknown>);
    if (cell === undefined) h.holdMail(to, msg, from, 0, 0, fromThread);
    else h.deliverLocal(cell, msg, from, 0, 0, fromThread);
  }
}

/** Reads a batch that arrived from another thread, record by record, into the sink. */
export function decodeBatch(h: WireSink, b: unknown[]): void {
  for (let i = 0; i < b.length; ) {
    switch (b[i] as number) {
      case K_MAIL: {
        const to = b[i + MAIL.to] as string;
        const msg = b[i + MAIL.msg];
        const fromPath = b[i + MAIL.fromPath] as string | null;
        const fromThread = b[i + MAIL.fromThread] as number;
        const askId = b[i + MAIL.askId] as number;
        const prio = b[i + MAIL.priority] as number;
        i += MAIL.length;
        const cell = h.cells.get(to);
        if (msg !== null && typeof msg === 'object') rehydrate(h, msg as Record<string, unknown>);
        const from = fromPath === null ? null : h.refFor<unknown>(fromPath, fromThread);
        if (cell === undefined) h.holdMail(to, msg, from, askId, prio, fromThread);
        else h.deliverLocal(cell, msg, from, askId, prio, fromThread);
        break;
      }
      case K_RUN: {
        const to = b[i + RUN.to] as string;
        const fromPath = b[i + RUN.fromPath] as string | null;
        const fromThread = b[i + RUN.fromThread] as number;
        const body = b[i + RUN.body];
        const columns = isColumns(body);
        const list = (columns ? decodeColumns(body) : body) as unknown[];
        i += RUN.length;
        deliverRun(h, to, fromPath, fromThread, list, !columns);
        break;
      }
      case K_JRUN: {
        const to = b[i + JRUN.to] as string;
        const fromPath = b[i + JRUN.fromPath] as string | null;
        const fromThread = b[i + JRUN.fromThread] as number;
        const body = b[i + JRUN.body];
        const list = (typeof body === 'string' ? JSON.parse(body) : isColumns(body) ? decodeColumns(body) : body) as unknown[];
        const hasRefs = b[i + JRUN.hasRefs] === 1;
        i += JRUN.length;
        deliverRun(h, to, fromPath, fromThread, list, hasRefs);
        break;
      }
      case K_REPLY:
        h.settle(b[i + REPLY.askId] as number, b[i + REPLY.ok] as number, b[i + REPLY.value]);
        i += REPLY.length;
        break;
      case K_SYS:
        h.sysArrived(b[i + SYS.to] as string, b[i + SYS.sys] as SysMsg);
        i += SYS.length;
        break;
      case K_HOST:
        h.handleHost(b[i + HOST.msg] as HostMsg);
        i += HOST.length;
        break;
      default:
        throw new Error(`corrupt cross-thread batch: record kind ${String(b[i])} at ${i}`);
    }
  }
}

/** A message that could not be sent, as the sender's dead-letter bookkeeping needs it. */
export interface Unsent {
  to: string;
  /** Messages in the record. */
  count: number;
  /** Ask to fail, 0 for none. */
  askId: number;
}

/** The mail records of a batch that could not be posted (replies, sys and host records skipped). */
export function unsentMail(b: unknown[], each: (u: Unsent) => void): void {
  for (let i = 0; i < b.length; ) {
    const k = b[i] as number;
    if (k === K_MAIL) each({ to: b[i + MAIL.to] as string, count: 1, askId: b[i + MAIL.askId] as number });
    else if (k === K_JRUN) {
      const run = b[i + JRUN.body];
      const n = isColumns(run) ? run.n : typeof run === 'string' ? (JSON.parse(run) as unknown[]).length : (run as unknown[]).length;
      each({ to: b[i + JRUN.to] as string, count: n, askId: 0 });
    } else if (k === K_RUN) {
      const run = b[i + RUN.body];
      each({ to: b[i + RUN.to] as string, count: isColumns(run) ? run.n : (run as unknown[]).length, askId: 0 });
    }
    i += LENGTHS[k] ?? HOST.length;
  }
}
