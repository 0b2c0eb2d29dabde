// How a dispatcher connection (connection-core.ts) turns a handler's outcome into the reply text
// kept in its seq position: TIMEOUT past the deadline, WORKER_FAILED for a value that is not a
// reply or a reply over MaxFrameBytes (the limit holds both ways).

import type { ConnectionCore } from './connection-core.ts';
import { timeOut } from './connection-timers.ts';
import { replyOverCap } from './frame-limits.ts';
import type { Outcome } from './messages.ts';

/** Puts a worker's result in its seq position (late results, e.g. after TIMEOUT, are dropped). */
export function storeReply(c: ConnectionCore, seq: number, out: Outcome): void {
  const win = c.win;
  if (!win.waiting(seq)) return; // not open, or already answered (TIMEOUT): the late reply is dropped
  // Past its deadline the answer is TIMEOUT, whichever timer fired first (this connection's, or
  // a worker's that replaced a process which missed the deadline and failed its request).
  const dl = win.deadline(seq);
  if (dl !== 0 && dl <= Date.now()) return timeOut(c, seq);
  const proto = c.proto;
  const req = win.request(seq);
  let text: string | null = typeof out === 'string' ? out : out.ok ? proto.success(req, out.value) : proto.failure(req, out.code, out.message);
  if (text === null) {
    c.s.counters.workerFailures++;
    text = proto.failure(req, 'WORKER_FAILED', 'the handler returned a value that is not a reply');
  }
  win.answer(seq, capped(c, req, text));
}

/** A reply over MaxFrameBytes is not sent: the request gets WORKER_FAILED instead. */
export function capped(c: ConnectionCore, req: unknown, text: string): string {
  const max = c.s.cfg.MaxFrameBytes;
  const bytes = replyOverCap(text, max);
  if (bytes === 0) return text;
  c.s.counters.oversizeReplies++;
  c.s.log.warn('reply over MaxFrameBytes; answered WORKER_FAILED', { slot: c.slot, peer: c.row.peer, bytes, maxFrameBytes: max });
  return c.proto.failure(req, 'WORKER_FAILED', `the reply of ${bytes} bytes is over MaxFrameBytes (${max})`);
}
