// Messages between the dispatcher's actors. Everything here is structured-cloneable; refs only
// appear as top-level fields.

import type { ActorRef } from '../../runtime/index.ts';
import type { ReplyErrorCode } from '../../protocols/dispatcher/index.ts';
import type { Counters } from './shared.ts';

/** A request on its way to a worker: `{slot, gen, seq, deadline, request}` (§1.2). */
export interface Envelope {
  slot: number;
  gen: number;
  seq: number;
  /** Epoch ms after which the connection answers TIMEOUT (0 = none). */
  deadline: number;
  /** The request: its JSON text when the protocol has `textRequests`, else the parsed value. */
  req: unknown;
}

/**
 * A worker's result for one envelope: a value (serialised by the protocol on the I/O thread), the
 * reply text already serialised where the handler ran (`json` protocol), or an error code.
 */
export type Outcome = { ok: true; value: unknown } | { ok: false; code: ReplyErrorCode; message: string } | ReplyText;

/** A successful reply already serialised where the handler ran (`json` protocol). */
export type ReplyText = string;

export type ConnMsg =
  /** Worker results for this connection (already generation-checked). */
  | { t: 'replies'; seqs: number[]; outs: Outcome[] }
  | { t: 'reply'; seq: number; out: Outcome }
  /** Graceful drain (§6.2): stop reading, finish in-flight, close. */
  | { t: 'drain' }
  /** The drain deadline passed: SHUTDOWN for what is still pending, then close. */
  | { t: 'deadline' }
  /** Evicted by a duplicate peer (§5.2 step 3): no further bytes. */
  | { t: 'evict' }
  /** The request queue has room again (OnQueueFull: pause). */
  | { t: 'resume' }
  /** Timer ticks. */
  | { t: 'request-timeouts' }
  | { t: 'idle-check' }
  | { t: 'flush-timeout' }
  | { t: 'close-timeout' };

export type GroupMsg =
  | { t: 'adopt'; slot: number; gen: number }
  | { t: 'drain' }
  | { t: 'deadline' };

export type QueueMsg =
  | { t: 'enq'; items: Envelope[] }
  /** A worker is up (again): its capacity and how many requests it holds now. */
  | { t: 'hello'; worker: ActorRef<WorkerMsg>; capacity: number; busy: number }
  | { t: 'credit'; worker: ActorRef<WorkerMsg>; n: number }
  | { t: 'leave'; worker: ActorRef<WorkerMsg> };

export type WorkerMsg =
  | { t: 'run'; items: Envelope[] }
  /** The queue confirms that it sends nothing more (retirement). */
  | { t: 'left' }
  /** A restarted queue asks every worker to register again. */
  | { t: 'hello-again' }
  | { t: 'check' };

export type PoolMsg =
  | { t: 'grow' }
  | { t: 'rehello' }
  | { t: 'ready'; name: string }
  | { t: 'start-failed'; name: string; error: string };

export type AcceptorMsg = { t: 'drain' } | { t: 'open' };

export type IoMsg =
  | { t: 'pool-ready' }
  | { t: 'pool-failed'; error: string }
  | { t: 'listening'; address: string }
  | { t: 'bind-failed'; code: string; error: string }
  | { t: 'drain' }
  | { t: 'deadline' }
  | { t: 'check-drained' }
  | { t: 'drain-grace' }
  | { t: 'restarts'; n: number }
  /** Periodic: report the counters to the supervisor (they outlive a dying I/O thread there). */
  | { t: 'report' }
  /** After the I/O thread died: the counters and replacements last reported, to continue from. */
  | { t: 'carry'; counters: Counters; replacements: number };

export type SupMsg =
  | { t: 'up'; io: ActorRef<IoMsg> }
  | { t: 'ready'; address: string }
  | { t: 'start-failed'; exitCode: number; error: string }
  | { t: 'died'; path: string; aliveMs: number; reason: string }
  | { t: 'drained'; abandoned: number; open: number }
  | { t: 'await-ready' }
  /** ask -> the escalation's reason, once the dispatcher escalated and drained (never answered otherwise). */
  | { t: 'await-escalation' }
  | { t: 'drain' }
  | { t: 'drain-timeout' }
  | { t: 'counters'; counters: Counters; replacements: number };
