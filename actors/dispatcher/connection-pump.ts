// The per-request step of a dispatcher connection (connection-core.ts, dispatcher.md §5.4): the
// frames a read completed get their seqs in order while the in-flight limit allows; each is
// answered at once (an inline handler's synchronous reply, an echo, MALFORMED, BUSY), answered
// later by an inline handler's promise, or queued for a worker. Replies answered at once while
// nothing before them is unwritten skip the reorder window and leave in one write at the end.

import { encodeFrame } from '../../protocols/dispatcher/index.ts';
import type { ConnectionCore } from './connection-core.ts';
import { capped } from './connection-replies.ts';
import { encodeFrames } from './reply-frames.ts';
import { enqueue } from './shared.ts';

/** The held list when nothing is held (never written: frames replace it, see ConnectionCore.frames). */
export const NO_FRAMES: (string | undefined)[] = [];

/** Assigns seqs to held frames while the in-flight limit allows (see the header). */
export function pump(c: ConnectionCore): void {
  const held = c.held;
  if (c.heldHead >= held.length || c.waitingQueue) return;
  const s = c.s;
  const cfg = s.cfg;
  const win = c.win;
  const proto = c.proto;
  let queued = false;
  let now = c.readAt;
  // Replies answered at once while nothing before them is unwritten skip the window: they go out
  // in one write at the end of this pump, before anything the window may release after it.
  let direct = 0;
  let first = '';
  let more: string[] | null = null;
  while (c.heldHead < held.length && !win.full) {
    const frame = held[c.heldHead]!;
    const d = c.blockedDecoded ?? proto.decodeText(frame);
    c.blockedDecoded = null;
    let seq = -1;
    let reply: string | null = null;
    if (d.kind === 'request' && s.inline !== null) {
      // Inline placement (inline-runner.ts): answered here, on the I/O thread, without the queue.
      if (now === 0) now = Date.now();
      const deadline = cfg.RequestTimeoutMs > 0 ? now + cfg.RequestTimeoutMs : 0;
      const out = s.inline.call(d.request, deadline, d);
      if (typeof out === 'string') reply = capped(c, d.request, out);
      else {
        const opened = win.open(d.request, deadline);
        seq = opened;
        void out.then((text) => c.onReply(opened, text));
        queued = true;
      }
    } else if (d.kind === 'request') {
      if (s.queueDepth >= cfg.QueueCapacity) {
        if (cfg.OnQueueFull === 'pause') {
          c.blockedDecoded = d;
          c.waitingQueue = true;
          s.queueWaiters.add(c.ctx.self);
          break;
        }
        reply = proto.failure(d.request, 'BUSY', 'the request queue is full');
        s.counters.busy++;
      } else {
        if (now === 0) now = Date.now();
        const deadline = cfg.RequestTimeoutMs > 0 ? now + cfg.RequestTimeoutMs : 0;
        s.queueDepth++;
        seq = win.open(d.request, deadline);
        enqueue(s, { slot: c.slot, gen: c.gen, seq, deadline, req: d.request });
        queued = true;
      }
    } else {
      reply = d.reply;
      if (d.why === 'echo') s.counters.echoReplies++;
      else s.counters.malformed++;
    }
    if (reply !== null) {
      if (win.idle) {
        seq = win.pass();
        if (direct === 0) first = reply;
        else (more ??= [first]).push(reply);
        direct++;
      } else seq = win.openAnswered(reply);
    }
    if (c.traced) s.log.debug('frame', { slot: c.slot, gen: c.gen, seq, peer: c.row.peer, frame });
    held[c.heldHead++] = undefined;
  }
  if (c.heldHead >= held.length) {
    // The shared empty list (setting length 0 is a runtime call, a new array an allocation).
    c.held = NO_FRAMES;
    c.heldHead = 0;
  }
  if (direct > 0 && !c.conn.closed && !c.evicted) {
    const framing = cfg.Framing;
    c.writeOut(more === null ? encodeFrame(framing, first, proto.ascii) : encodeFrames(framing, more, proto.ascii, direct), direct);
  }
  if (queued) {
    if (!c.rtArmed && cfg.RequestTimeoutMs > 0) {
      c.rtArmed = true;
      c.ctx.timers.once('rt', cfg.RequestTimeoutMs + 1, { t: 'request-timeouts' });
    }
  }
}
