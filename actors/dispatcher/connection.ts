// One `Connection` actor per socket (dispatcher.md §1.1, §3, §5.4-§5.6): framing, validation,
// the per-connection `seq`, the reorder buffer, the in-flight limit, request and idle timeouts,
// and the xstate lifecycle. Lives on its dispatcher's I/O thread (it owns a socket).
//
// The per-request path is plain code: a data chunk is cut into frames, each frame gets the next
// seq and either an immediate reply (echo, malformed, BUSY) or an envelope for the RequestQueue
// (one `enq` message per chunk); replies come back in `replies` messages and are written strictly
// in seq order. Lifecycle events go through the xstate machine. An exception in one connection
// closes only that connection (it never crashes its group).

import type { Socket } from 'node:net';
import { createActor, type Actor } from 'xstate';
import { defineActor, type ActorContext } from '../../runtime/index.ts';
import { encodeFrame, requestDecoder, type Decoded, type DispatchProtocol } from '../../protocols/dispatcher/index.ts';
import type { FrameDecoder } from '../../protocols/framing/types.ts';
import { connectionLifecycle, type LifecycleEvent, type LifecycleHost, type LifecyclePhase } from './lifecycle.ts';
import { enqueue, freeSlot, shared, type IoShared, type SlotExtra } from './shared.ts';
import type { Row } from './table.ts';
import type { ConnMsg, Outcome } from './messages.ts';

export interface ConnectionProps {
  /** Path of the dispatcher's I/O actor (key of its shared state). */
  io: string;
  slot: number;
  gen: number;
}

/** How long a closing socket may take to finish before it is destroyed. */
const CLOSE_GRACE_MS = 2000;
/** A framing error flushes earlier replies for at most this long (§3.3). */
const FLUSH_MS = 1000;

class ConnectionCore implements LifecycleHost {
  readonly s: IoShared;
  readonly ctx: ActorContext<ConnMsg>;
  readonly slot: number;
  readonly gen: number;
  readonly row: Row<SlotExtra>;
  readonly sock: Socket;
  readonly proto: DispatchProtocol;
  readonly max: number;
  readonly ready: (Buffer | null)[];
  readonly reqs: unknown[];
  readonly deadlines: Float64Array;
  readonly traced: boolean;
  decoder: FrameDecoder<Buffer> | null;
  machine: Actor<typeof connectionLifecycle>;
  phase: LifecyclePhase = 'open';
  nextSeq = 0;
  nextWrite = 0;
  held: (Buffer | undefined)[] = [];
  heldHead = 0;
  blockedDecoded: Decoded | null = null;
  waitingQueue = false;
  reading = false;
  accepting = true;
  writeBlocked = false;
  eof = false;
  evicted = false;
  released = false;
  rtArmed = false;
  lastActivity: number;

  constructor(s: IoShared, ctx: ActorContext<ConnMsg>, props: ConnectionProps, row: Row<SlotExtra>, sock: Socket) {
    this.s = s;
    this.ctx = ctx;
    this.slot = props.slot;
    this.gen = props.gen;
    this.row = row;
    this.sock = sock;
    const cfg = s.cfg;
    this.proto = s.protocol;
    this.max = cfg.MaxInFlightPerConnection;
    this.ready = new Array<Buffer | null>(this.max).fill(null);
    this.reqs = new Array<unknown>(this.max);
    this.deadlines = new Float64Array(this.max);
    this.decoder = requestDecoder(cfg.Framing, cfg.MaxFrameBytes);
    this.traced = s.trace !== null && s.trace.matches(row.peer);
    this.lastActivity = Date.now();
    this.machine = createActor(connectionLifecycle, { input: { host: this } });
    this.machine.subscribe({ error: (err) => this.crash(err) });
  }

  start(): void {
    const sock = this.sock;
    sock.pause();
    sock.on('data', (chunk: Buffer) => this.guard(() => this.onData(chunk)));
    sock.on('end', () => this.guard(() => this.onEnd()));
    sock.on('drain', () => this.guard(() => this.onDrain()));
    sock.on('error', (err: Error) => this.guard(() => this.onError(err)));
    sock.on('close', () => this.guard(() => this.send({ type: 'SOCKET_CLOSED' })));
    this.machine.start();
    if (this.s.cfg.IdleTimeoutMs > 0) this.ctx.timers.once('idle', this.s.cfg.IdleTimeoutMs, { t: 'idle-check' });
    if (this.s.draining) this.onDrainRequest();
    else this.updateReading();
  }

  /** Runs a callback of this connection; an exception closes only this connection. */
  guard(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.crash(err);
    }
  }

  crash(err: unknown): void {
    this.s.log.error('connection failed; closing it', { slot: this.slot, gen: this.gen, error: err instanceof Error ? err.message : String(err) });
    this.evicted = true;
    this.sock.destroy();
    this.release();
  }

  send(ev: LifecycleEvent): void {
    if (this.released) return;
    this.machine.send(ev);
    this.phase = phaseOf(this.machine.getSnapshot().value);
    this.afterLifecycle();
  }

  private afterLifecycle(): void {
    if (this.phase === 'draining' && !this.hasPending()) this.send({ type: 'ALL_WRITTEN' });
    this.updateRow();
  }

  // ---- LifecycleHost ---------------------------------------------------------------------------

  hasPending(): boolean {
    return this.nextSeq > this.nextWrite || this.heldHead < this.held.length;
  }

  stopReading(): void {
    this.accepting = false;
    this.decoder = null; // bytes that do not yet form a frame are discarded
    // Keep the socket flowing (discarding bytes) so that a peer's FIN or reset is still seen.
    this.updateReading();
  }

  armFlushDeadline(): void {
    this.ctx.timers.once('flush', FLUSH_MS, { t: 'flush-timeout' });
  }

  beginClose(): void {
    this.stopReading();
    if (this.evicted) this.sock.destroy();
    else {
      this.writeReady(true);
      this.sock.end();
    }
    this.ctx.timers.once('close', CLOSE_GRACE_MS, { t: 'close-timeout' });
  }

  destroy(): void {
    this.evicted = true;
    this.sock.destroy();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.phase = 'closed';
    this.s.queueWaiters.delete(this.ctx.self);
    if (!this.sock.destroyed) this.sock.destroy();
    freeSlot(this.s, this.slot, this.gen);
    this.ctx.timers.cancel('rt');
    this.ctx.timers.cancel('idle');
    this.ctx.timers.cancel('flush');
    this.ctx.timers.cancel('close');
    // Stop after the current lifecycle transition has finished.
    queueMicrotask(() => this.ctx.stop());
  }

  // ---- data path ---------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    const dec = this.decoder;
    if (!this.accepting || dec === null) return;
    this.lastActivity = Date.now();
    const frames = dec.push(chunk);
    const n = frames.length;
    if (n > 0) {
      this.s.counters.frames += n;
      const held = this.held;
      for (let i = 0; i < n; i++) held.push(frames[i]);
      this.progress();
    }
    if (dec.error !== null) {
      this.s.counters.framingErrors++;
      this.s.log.info('framing error; closing the connection', { slot: this.slot, peer: this.row.peer, error: dec.error.message });
      this.send({ type: 'FRAMING_ERROR' });
    }
  }

  private onEnd(): void {
    this.eof = true;
    this.send({ type: 'PEER_EOF' });
  }

  private onDrain(): void {
    this.writeBlocked = false;
    this.progress();
  }

  private onError(err: Error): void {
    this.s.log.debug('socket error', { slot: this.slot, peer: this.row.peer, error: err.message });
    this.send({ type: 'SOCKET_ERROR' });
  }

  /** Assigns seqs to held frames while the in-flight limit allows, writes what is ready, repeats. */
  progress(): void {
    if (this.phase !== 'open' && this.phase !== 'draining') return;
    for (;;) {
      this.pump();
      const wrote = this.writeReady(false);
      if (!wrote || this.heldHead >= this.held.length || this.waitingQueue || this.nextSeq - this.nextWrite >= this.max) break;
    }
    this.updateReading();
    this.afterLifecycle();
  }

  private pump(): void {
    const held = this.held;
    if (this.heldHead >= held.length || this.waitingQueue) return;
    const s = this.s;
    const cfg = s.cfg;
    const max = this.max;
    const proto = this.proto;
    let queued = false;
    let now = 0;
    while (this.heldHead < held.length && this.nextSeq - this.nextWrite < max) {
      const frame = held[this.heldHead]!;
      const d = this.blockedDecoded ?? proto.decode(frame);
      this.blockedDecoded = null;
      const seq = this.nextSeq;
      const idx = seq % max;
      if (d.kind === 'request' && s.inline !== null) {
        // Inline placement (inline-runner.ts): answered here, on the I/O thread, without the queue.
        if (now === 0) now = Date.now();
        const deadline = cfg.RequestTimeoutMs > 0 ? now + cfg.RequestTimeoutMs : 0;
        const out = s.inline.call(d.request, deadline, d);
        if (typeof out === 'string') this.ready[idx] = this.encode(out);
        else {
          this.reqs[idx] = d.request;
          this.deadlines[idx] = deadline;
          void out.then((text) => this.onReply(seq, text));
          queued = true;
        }
      } else if (d.kind === 'request') {
        if (s.queueDepth >= cfg.QueueCapacity) {
          if (cfg.OnQueueFull === 'pause') {
            this.blockedDecoded = d;
            this.waitingQueue = true;
            s.queueWaiters.add(this.ctx.self);
            break;
          }
          this.ready[idx] = this.encode(proto.failure(d.request, 'BUSY', 'the request queue is full'));
          s.counters.busy++;
        } else {
          if (now === 0) now = Date.now();
          const deadline = cfg.RequestTimeoutMs > 0 ? now + cfg.RequestTimeoutMs : 0;
          s.queueDepth++;
          this.reqs[idx] = d.request;
          this.deadlines[idx] = deadline;
          enqueue(s, { slot: this.slot, gen: this.gen, seq, deadline, req: d.request });
          queued = true;
        }
      } else {
        this.ready[idx] = this.encode(d.reply);
        if (d.why === 'echo') s.counters.echoReplies++;
        else s.counters.malformed++;
      }
      if (this.traced) s.log.debug('frame', { slot: this.slot, gen: this.gen, seq, peer: this.row.peer, frame: frame.toString('utf8') });
      this.nextSeq = seq + 1;
      held[this.heldHead++] = undefined;
    }
    if (this.heldHead >= held.length) {
      held.length = 0;
      this.heldHead = 0;
    }
    if (queued) {
      if (!this.rtArmed && cfg.RequestTimeoutMs > 0) {
        this.rtArmed = true;
        this.ctx.timers.once('rt', cfg.RequestTimeoutMs + 1, { t: 'request-timeouts' });
      }
    }
  }

  private encode(text: string): Buffer {
    return encodeFrame(this.s.cfg.Framing, text, this.proto.ascii);
  }

  /** Writes every reply that is next in seq order, in one write. Returns whether it wrote. */
  writeReady(evenIfClosing: boolean): boolean {
    if (!evenIfClosing && this.phase !== 'open' && this.phase !== 'draining') return false;
    if (this.sock.destroyed || this.evicted) return false;
    const max = this.max;
    const ready = this.ready;
    let n = 0;
    let first: Buffer | null = null;
    let list: Buffer[] | null = null;
    while (this.nextWrite < this.nextSeq) {
      const idx = this.nextWrite % max;
      const b = ready[idx];
      if (b === null) break;
      ready[idx] = null;
      this.reqs[idx] = undefined;
      this.nextWrite++;
      n++;
      if (first === null) first = b;
      else (list ??= [first]).push(b);
    }
    if (n === 0) return false;
    const ok = this.sock.write(list !== null ? Buffer.concat(list) : first!);
    if (!ok) this.writeBlocked = true;
    const now = Date.now();
    this.row.numOps += n;
    this.row.lastOp = now;
    this.lastActivity = now;
    this.s.counters.replies += n;
    return true;
  }

  private updateReading(): void {
    if (this.sock.destroyed) return;
    const want =
      !this.accepting ||
      (!this.eof && !this.writeBlocked && !this.waitingQueue && this.heldHead >= this.held.length && this.nextSeq - this.nextWrite < this.max);
    if (want !== this.reading) {
      this.reading = want;
      if (want) this.sock.resume();
      else this.sock.pause();
    }
  }

  private updateRow(): void {
    const row = this.row;
    if (!row.live || row.gen !== this.gen) return;
    const inFlight = this.nextSeq - this.nextWrite;
    row.inFlight = inFlight;
    row.status =
      this.phase === 'open' ? (inFlight > 0 || this.heldHead < this.held.length ? 'busy' : 'idle') : this.phase === 'draining' ? 'draining' : 'closing';
  }

  // ---- messages ----------------------------------------------------------------------------------

  onReplies(seqs: number[], outs: Outcome[]): void {
    if (this.phase !== 'open' && this.phase !== 'draining') return;
    for (let i = 0; i < seqs.length; i++) this.store(seqs[i], outs[i]);
    this.progress();
  }

  onReply(seq: number, out: Outcome): void {
    if (this.phase !== 'open' && this.phase !== 'draining') return;
    this.store(seq, out);
    this.progress();
  }

  private timeOut(idx: number): void {
    this.ready[idx] = this.encode(this.proto.failure(this.reqs[idx], 'TIMEOUT', `no reply within ${this.s.cfg.RequestTimeoutMs} ms`));
    this.s.counters.timeouts++;
  }

  /** Puts a worker's result in its seq position (late results, e.g. after TIMEOUT, are dropped). */
  private store(seq: number, out: Outcome): void {
    if (seq < this.nextWrite || seq >= this.nextSeq) return;
    const idx = seq % this.max;
    if (this.ready[idx] !== null) return; // already answered (TIMEOUT): the late reply is dropped
    // Past its deadline the answer is TIMEOUT, whichever timer fired first (this connection's, or
    // a worker's that replaced a process which missed the deadline and failed its request).
    const dl = this.deadlines[idx];
    if (dl !== 0 && dl <= Date.now()) return this.timeOut(idx);
    const proto = this.proto;
    const req = this.reqs[idx];
    let text: string | null = typeof out === 'string' ? out : out.ok ? proto.success(req, out.value) : proto.failure(req, out.code, out.message);
    if (text === null) {
      this.s.counters.workerFailures++;
      text = proto.failure(req, 'WORKER_FAILED', 'the handler returned a value that is not a reply');
    }
    this.ready[idx] = this.encode(text);
  }

  onRequestTimeouts(): void {
    this.rtArmed = false;
    if (this.phase !== 'open' && this.phase !== 'draining') return;
    const now = Date.now();
    const max = this.max;
    let next = Infinity;
    for (let seq = this.nextWrite; seq < this.nextSeq; seq++) {
      const idx = seq % max;
      const dl = this.deadlines[idx];
      if (this.ready[idx] !== null || dl === 0) continue;
      if (dl <= now) this.timeOut(idx);
      else if (dl < next) next = dl;
    }
    if (next !== Infinity) {
      this.rtArmed = true;
      this.ctx.timers.once('rt', Math.max(1, next - now + 1), { t: 'request-timeouts' });
    }
    this.progress();
  }

  onIdleCheck(): void {
    const idle = this.s.cfg.IdleTimeoutMs;
    if (this.phase !== 'open') return;
    const quietFor = Date.now() - this.lastActivity;
    if (!this.hasPending() && quietFor >= idle) {
      this.s.log.debug('idle timeout', { slot: this.slot, peer: this.row.peer });
      this.send({ type: 'IDLE_TIMEOUT' });
      return;
    }
    this.ctx.timers.once('idle', Math.max(1, idle - quietFor), { t: 'idle-check' });
  }

  onDrainRequest(): void {
    this.send({ type: 'DRAIN' });
    this.progress();
  }

  /** The drain deadline: SHUTDOWN for every unanswered seq, drop frames without a seq, close. */
  onDeadline(): void {
    if (this.phase !== 'open' && this.phase !== 'draining') return;
    let abandoned = 0;
    const max = this.max;
    for (let seq = this.nextWrite; seq < this.nextSeq; seq++) {
      const idx = seq % max;
      if (this.ready[idx] !== null) continue;
      this.ready[idx] = this.encode(this.proto.failure(this.reqs[idx], 'SHUTDOWN', 'the dispatcher is shutting down'));
      abandoned++;
    }
    abandoned += this.held.length - this.heldHead;
    this.held.length = 0;
    this.heldHead = 0;
    this.blockedDecoded = null;
    this.s.counters.abandoned += abandoned;
    this.writeReady(false);
    this.send({ type: 'DEADLINE' });
  }

  onResume(): void {
    this.waitingQueue = false;
    this.progress();
  }
}

function phaseOf(v: unknown): LifecyclePhase {
  return v === 'open' || v === 'draining' || v === 'closing' || v === 'closed' ? v : 'open';
}

export const Connection = defineActor<ConnMsg, ConnectionProps>(import.meta.url, 'Connection', (props, ctx) => {
  let core: ConnectionCore | null = null;
  return {
    started() {
      const s = shared(props.io);
      const row = s.table.route(props.slot, props.gen);
      const sock = row?.extra?.socket;
      if (!row || !sock || sock.destroyed) {
        if (row) freeSlot(s, props.slot, props.gen);
        ctx.stop();
        return;
      }
      row.extra!.ref = ctx.self;
      core = new ConnectionCore(s, ctx, props, row, sock);
      core.guard(() => core!.start());
    },
    receive(msg) {
      const c = core;
      if (c === null || c.released) return;
      try {
        switch (msg.t) {
          case 'reply':
            c.onReply(msg.seq, msg.out);
            break;
          case 'replies':
            c.onReplies(msg.seqs, msg.outs);
            break;
          case 'drain':
            c.onDrainRequest();
            break;
          case 'deadline':
            c.onDeadline();
            break;
          case 'evict':
            c.send({ type: 'EVICT' });
            break;
          case 'resume':
            c.onResume();
            break;
          case 'request-timeouts':
            c.onRequestTimeouts();
            break;
          case 'idle-check':
            c.onIdleCheck();
            break;
          case 'flush-timeout':
            c.send({ type: 'FLUSH_TIMEOUT' });
            break;
          case 'close-timeout':
            c.send({ type: 'CLOSE_TIMEOUT' });
            break;
        }
      } catch (err) {
        c.crash(err);
      }
    },
    stopped() {
      const c = core;
      if (c === null) return;
      if (!c.released) {
        c.released = true;
        c.s.queueWaiters.delete(ctx.self);
        c.sock.destroy();
        freeSlot(c.s, c.slot, c.gen);
      }
      c.machine.stop();
    },
    inspect() {
      const c = core;
      if (c === null) return null;
      return { slot: c.slot, gen: c.gen, phase: c.phase, inFlight: c.nextSeq - c.nextWrite, held: c.held.length - c.heldHead, reading: c.reading };
    },
  };
});
