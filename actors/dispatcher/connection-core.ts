// The per-connection logic of the dispatcher (dispatcher.md §3, §5.4-§5.6): framing through a
// StreamConnection, validation, seqs and replies through the ReorderWindow, the in-flight limit,
// request and idle timeouts, and the xstate lifecycle (lifecycle.ts). The per-request path is plain
// code: a read is cut into frames, each frame gets the next seq and either an immediate reply
// (echo, malformed, BUSY) or an envelope for the RequestQueue; replies come back in `replies`
// messages and are written strictly in seq order. An exception closes only this connection.
// What the connection does when a clock runs out (request, idle and frame timeouts, the drain
// deadline) is in connection-timers.ts; the per-request step (seqs, immediate answers, the queue)
// in connection-pump.ts. The core is its StreamConnection's handlers object and keeps its table
// row's figures itself (copied into the row when the table is read), so a request touches as few
// per-connection objects as it can: with 1000 connections each one is a cache miss.

import type { Socket } from 'node:net';
import { createActor, type Actor } from 'xstate';
import type { ActorContext } from '../../runtime/index.ts';
import { StreamConnection } from '../../runtime/io/stream.ts';
import { requestTextDecoder, type Decoded, type DispatchProtocol } from '../../protocols/dispatcher/index.ts';
import { encodeFrames } from './reply-frames.ts';
import { storeReply } from './connection-replies.ts';
import { NO_FRAMES, pump } from './connection-pump.ts';
import { ReorderWindow } from './window.ts';
import { drainDeadline, frameTimeout, idleCheck, requestTimeouts } from './connection-timers.ts';
import { connectionLifecycle, type LifecycleEvent, type LifecycleHost, type LifecyclePhase } from './lifecycle.ts';
import { freeSlot, type IoAdmission, type IoConns, type IoPhase, type IoSetup, type IoStats, type SlotExtra } from './shared.ts';

/** What a connection uses of its dispatcher's state. */
export type ConnView = IoSetup & IoConns & IoStats & IoAdmission & Pick<IoPhase, 'draining'>;
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
/**
 * The replies of the write being framed, shared by the thread's connections (a write is framed
 * and the list emptied before the socket sees it, so no two writes overlap): one list that stays
 * in cache instead of one per connection.
 */
const REPLIES: string[] = [];

export class ConnectionCore implements LifecycleHost {
  readonly s: ConnView;
  readonly ctx: ActorContext<ConnMsg>;
  readonly slot: number;
  readonly gen: number;
  readonly row: Row<SlotExtra>;
  /** Frames are the requests' UTF-8 texts, which both protocols decode (requestTextDecoder). */
  readonly conn: StreamConnection<string>;
  readonly proto: DispatchProtocol;
  /** Replies are kept as texts and framed together when written (one buffer per write). */
  readonly win: ReorderWindow<unknown, string>;
  readonly traced: boolean;
  machine: Actor<typeof connectionLifecycle>;
  phase: LifecyclePhase = 'open';
  held: (string | undefined)[] = NO_FRAMES;
  heldHead = 0;
  blockedDecoded: Decoded | null = null;
  waitingQueue = false;
  /** Reading is held for flow control (see updateReading). */
  flowHeld = true;
  accepting = true;
  eof = false;
  evicted = false;
  released = false;
  rtArmed = false;
  lastActivity: number;
  /** Replies written and when the last was (the row's NUMOPS and LASTOP, see syncRow). */
  numOps = 0;
  lastOp = 0;
  /** The clock read once per read event, shared by its frames' deadlines and the replies it writes (0: not inside one). */
  readAt = 0;

  constructor(s: ConnView, ctx: ActorContext<ConnMsg>, props: ConnectionProps, row: Row<SlotExtra>, sock: Socket) {
    this.s = s;
    this.ctx = ctx;
    this.slot = props.slot;
    this.gen = props.gen;
    this.row = row;
    const cfg = s.cfg;
    this.proto = s.protocol;
    this.win = new ReorderWindow<unknown, string>(cfg.MaxInFlightPerConnection);
    // Reading starts held: `start` releases it once the lifecycle machine runs. The core is its
    // own handlers object (the methods below): per read, no handlers object and no closure of
    // this connection's to load besides the core itself (1000 connections miss the cache).
    this.conn = new StreamConnection(sock, {
      decoder: requestTextDecoder(cfg.Framing, cfg.MaxFrameBytes),
      holdAtStart: 'flow',
      handlers: this,
      frameTimeoutMs: cfg.FrameTimeoutMs,
    });
    this.traced = s.trace !== null && s.trace.matches(row.peer);
    this.lastActivity = Date.now();
    this.machine = createActor(connectionLifecycle, { input: { host: this } });
    this.machine.subscribe({ error: (err) => this.crash(err) });
  }


  start(): void {
    this.machine.start();
    if (this.s.cfg.IdleTimeoutMs > 0) this.ctx.timers.once('idle', this.s.cfg.IdleTimeoutMs, { t: 'idle-check' });
    if (this.s.draining) this.onDrainRequest();
    else this.updateReading();
  }

  /** An exception in this connection's code closes only this connection. */
  crash(err: unknown): void {
    this.s.log.error('connection failed; closing it', { slot: this.slot, gen: this.gen, error: err instanceof Error ? err.message : String(err) });
    this.evicted = true;
    this.conn.destroy();
    this.release();
  }

  send(ev: LifecycleEvent): void {
    if (this.released) return;
    this.machine.send(ev);
    this.phase = phaseOf(this.machine.getSnapshot().value);
    this.afterLifecycle();
    this.syncRow();
  }

  private afterLifecycle(): void {
    if (this.phase === 'draining' && !this.hasPending()) this.send({ type: 'ALL_WRITTEN' });
  }

  // ---- LifecycleHost ---------------------------------------------------------------------------

  hasPending(): boolean {
    return this.win.inFlight > 0 || this.heldHead < this.held.length;
  }

  stopReading(): void {
    this.accepting = false;
    // Bytes that do not yet form a frame are discarded; the socket keeps flowing so that a peer's
    // FIN or reset is still seen.
    this.conn.discardInput();
  }

  armFlushDeadline(): void {
    this.ctx.timers.once('flush', FLUSH_MS, { t: 'flush-timeout' });
  }

  beginClose(): void {
    this.stopReading();
    if (this.evicted) this.conn.destroy();
    else {
      this.writeReady(true);
      this.conn.stream.end();
    }
    this.ctx.timers.once('close', CLOSE_GRACE_MS, { t: 'close-timeout' });
  }

  destroy(): void {
    this.evicted = true;
    this.conn.destroy();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.phase = 'closed';
    this.s.queueWaiters.delete(this.ctx.self);
    this.conn.destroy();
    freeSlot(this.s, this.slot, this.gen);
    this.ctx.timers.cancel('rt');
    this.ctx.timers.cancel('idle');
    this.ctx.timers.cancel('flush');
    this.ctx.timers.cancel('close');
    // Stop after the current lifecycle transition has finished.
    queueMicrotask(() => this.ctx.stop());
  }

  // ---- StreamHandlers (runtime/io/stream.ts calls these with this core as `this`) ---------------

  framingError(err: Error): void {
    this.onFramingError(err.message);
  }

  end(): void {
    this.eof = true;
    this.send({ type: 'PEER_EOF' });
  }

  writable(): void {
    this.progress();
  }

  error(err: Error): void {
    this.s.log.debug('socket error', { slot: this.slot, peer: this.row.peer, error: err.message });
    this.send({ type: 'SOCKET_ERROR' });
  }

  closed(): void {
    this.send({ type: 'SOCKET_CLOSED' });
  }

  fault(err: unknown): void {
    this.crash(err);
  }

  frameTimeout(): void {
    frameTimeout(this);
  }

  // ---- data path ---------------------------------------------------------------------------------

  frames(frames: string[]): void {
    if (!this.accepting) return;
    const now = Date.now();
    this.lastActivity = now;
    const n = frames.length;
    this.s.counters.frames += n;
    // Nothing held (the usual case): the decoder's fresh array becomes the held list as it is.
    if (this.heldHead >= this.held.length) {
      this.held = frames;
      this.heldHead = 0;
    } else {
      const held = this.held;
      for (let i = 0; i < n; i++) held.push(frames[i]);
    }
    this.readAt = now;
    try {
      this.progress();
    } finally {
      this.readAt = 0;
    }
  }

  private onFramingError(message: string): void {
    this.lastActivity = Date.now();
    this.s.counters.framingErrors++;
    this.s.log.info('framing error; closing the connection', { slot: this.slot, peer: this.row.peer, error: message });
    this.send({ type: 'FRAMING_ERROR' });
  }

  /** Assigns seqs to held frames while the in-flight limit allows, writes what is ready, repeats. */
  progress(): void {
    if (this.phase !== 'open' && this.phase !== 'draining') return;
    for (;;) {
      pump(this);
      const wrote = this.writeReady(false);
      if (!wrote || this.heldHead >= this.held.length || this.waitingQueue || this.win.full) break;
    }
    this.updateReading();
    this.afterLifecycle();
  }

  /** Writes every reply that is next in seq order, in one write. Returns whether it wrote. */
  writeReady(evenIfClosing: boolean): boolean {
    if (!evenIfClosing && this.phase !== 'open' && this.phase !== 'draining') return false;
    if (this.win.idle || this.conn.closed || this.evicted) return false; // idle: nothing to take (the usual case after a pump)
    const out = REPLIES;
    const n = this.win.takeReady(out);
    if (n === 0) return false;
    const bytes = encodeFrames(this.s.cfg.Framing, out, this.proto.ascii, n);
    for (let i = 0; i < n; i++) out[i] = ''; // keeps no reply alive (cheaper than setting the length)
    this.writeOut(bytes, n);
    return true;
  }

  /** Writes `n` framed replies. A refused write holds reading until the socket drains (runtime/io), then `writable` calls progress. */
  writeOut(bytes: Buffer, n: number): void {
    this.conn.write(bytes);
    const now = this.readAt || Date.now();
    this.numOps += n;
    this.lastOp = now;
    this.lastActivity = now;
    this.s.counters.replies += n;
  }

  /** Reads while there is credit: no EOF, no queue wait, no frames held, room in the window. */
  private updateReading(): void {
    const hold = this.eof || this.waitingQueue || this.heldHead < this.held.length || this.win.full;
    if (hold === this.flowHeld) return;
    this.flowHeld = hold;
    if (hold) this.conn.hold('flow');
    else this.conn.release('flow');
  }

  /** Copies this connection's figures into its table row: on a phase change and when the table is read, not per request. */
  syncRow(): void {
    const row = this.row;
    if (!row.live || row.gen !== this.gen) return;
    const inFlight = this.win.inFlight;
    row.numOps = this.numOps;
    row.lastOp = this.lastOp;
    row.inFlight = inFlight;
    row.status =
      this.phase === 'open' ? (inFlight > 0 || this.heldHead < this.held.length ? 'busy' : 'idle') : this.phase === 'draining' ? 'draining' : 'closing';
  }

  // ---- messages ----------------------------------------------------------------------------------

  onReplies(seqs: number[], outs: Outcome[]): void {
    if (this.phase !== 'open' && this.phase !== 'draining') return;
    for (let i = 0; i < seqs.length; i++) storeReply(this, seqs[i], outs[i]);
    this.progress();
  }

  onReply(seq: number, out: Outcome): void {
    if (this.phase !== 'open' && this.phase !== 'draining') return;
    storeReply(this, seq, out);
    this.progress();
  }

  onRequestTimeouts(): void {
    requestTimeouts(this);
  }

  onIdleCheck(): void {
    idleCheck(this);
  }

  onDrainRequest(): void {
    this.send({ type: 'DRAIN' });
    this.progress();
  }

  onDeadline(): void {
    drainDeadline(this);
  }

  onResume(): void {
    this.waitingQueue = false;
    this.progress();
  }
}

function phaseOf(v: unknown): LifecyclePhase {
  return v === 'open' || v === 'draining' || v === 'closing' || v === 'closed' ? v : 'open';
}
