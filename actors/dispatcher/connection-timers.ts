// What a dispatcher connection (connection-core.ts) does when one of its clocks runs out:
// RequestTimeoutMs (TIMEOUT replies in seq position), IdleTimeoutMs, FrameTimeoutMs (a frame not
// completed in time closes the connection, counted in `frameTimeouts`) and the drain deadline
// (§6.2 step 5: SHUTDOWN for every request in flight, counted in `abandoned`).

import type { ConnectionCore } from './connection-core.ts';

const live = (c: ConnectionCore): boolean => c.phase === 'open' || c.phase === 'draining';

/** Answers one request TIMEOUT (its handler's late outcome is dropped). */
export function timeOut(c: ConnectionCore, seq: number): void {
  c.win.answer(seq, c.proto.failure(c.win.request(seq), 'TIMEOUT', `no reply within ${c.s.cfg.RequestTimeoutMs} ms`));
  c.s.counters.timeouts++;
}

/** The request-timeout timer: TIMEOUT for every waiting request past its deadline; re-armed for the next one. */
export function requestTimeouts(c: ConnectionCore): void {
  c.rtArmed = false;
  if (!live(c)) return;
  const now = Date.now();
  const win = c.win;
  let next = Infinity;
  for (let seq = win.nextWrite; seq < win.nextSeq; seq++) {
    const dl = win.deadline(seq);
    if (!win.waiting(seq) || dl === 0) continue;
    if (dl <= now) timeOut(c, seq);
    else if (dl < next) next = dl;
  }
  if (next !== Infinity) {
    c.rtArmed = true;
    c.ctx.timers.once('rt', Math.max(1, next - now + 1), { t: 'request-timeouts' });
  }
  c.progress();
}

/** The idle timer: closes a connection quiet for IdleTimeoutMs with nothing pending; else re-armed. */
export function idleCheck(c: ConnectionCore): void {
  const idle = c.s.cfg.IdleTimeoutMs;
  if (c.phase !== 'open') return;
  const quietFor = Date.now() - c.lastActivity;
  if (!c.hasPending() && quietFor >= idle) {
    c.s.log.debug('idle timeout', { slot: c.slot, peer: c.row.peer });
    c.send({ type: 'IDLE_TIMEOUT' });
    return;
  }
  c.ctx.timers.once('idle', Math.max(1, idle - quietFor), { t: 'idle-check' });
}

/** The stream's frame deadline (runtime/io/frame-watch.ts): a frame begun FrameTimeoutMs ago and still incomplete closes the connection. */
export function frameTimeout(c: ConnectionCore): void {
  if (!c.accepting || !live(c)) return;
  c.s.counters.frameTimeouts++;
  c.s.log.info('frame not completed in time; closing the connection', { slot: c.slot, peer: c.row.peer, frameTimeoutMs: c.s.cfg.FrameTimeoutMs });
  c.send({ type: 'FRAMING_ERROR' });
}

/**
 * The drain deadline (§6.2 step 5). `abandoned` counts the requests read whole that never get
 * their handler's outcome because of it: each request in flight (it has a seq) gets SHUTDOWN, and
 * complete frames the in-flight limit still held without a seq are dropped unanswered.
 */
export function drainDeadline(c: ConnectionCore): void {
  if (!live(c)) return;
  let abandoned = 0;
  const win = c.win;
  for (let seq = win.nextWrite; seq < win.nextSeq; seq++) {
    if (!win.waiting(seq)) continue;
    win.answer(seq, c.proto.failure(win.request(seq), 'SHUTDOWN', 'the dispatcher is shutting down'));
    abandoned++;
  }
  abandoned += c.held.length - c.heldHead;
  c.held = [];
  c.heldHead = 0;
  c.blockedDecoded = null;
  c.s.counters.abandoned += abandoned;
  c.writeReady(false);
  c.send({ type: 'DEADLINE' });
}
