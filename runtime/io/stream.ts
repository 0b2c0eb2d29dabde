// A stream connection: adopts any Duplex (TCP or TLS socket, Unix socket, FIFO or child stdio
// joined with `Duplex.from({ readable, writable })`) the way `ws` adopts a socket in
// `setSocket`: it attaches every listener at once, feeds bytes to a FrameDecoder, and calls the
// owner's handlers. It solves, once, what each protocol used to solve alone:
//   - reading on credit: `hold(reason)` / `release(reason)`; reading runs while nothing holds it,
//     and a write the stream refuses holds reading until it drains (unless disabled);
//   - a handler that throws affects this connection only (`fault`, default: destroy it);
//   - after `destroy()` only `closed` still runs, and after `detach()` (an owner that is going
//     away, e.g. in an actor's stop hook) nothing does: no "is this still my socket?" checks;
//   - `close(graceMs)`: end, then destroy after a grace period if the peer never finishes;
//   - `flushed(deadlineMs)`: wait for the write buffer to empty, with a deadline;
//   - `frameTimeoutMs`: a frame must complete within this long of its first byte (frame-watch.ts).
// Handlers run on the owner's thread from the stream's events, outside any actor turn: they may
// act on the owner's state directly (one thread) or `tell` the owner.

import type { Duplex } from 'node:stream';
import type { FrameDecoder } from '../../protocols/framing/types.ts';
import type { ProtocolError } from '../../protocols/errors.ts';
import { framePushed, frameTimerFired, type FrameWatch } from './frame-watch.ts';

export interface StreamHandlers<F> {
  /** Frames completed by one read (never empty). */
  frames?(frames: F[]): void;
  /** Raw bytes, while no decoder is set. */
  bytes?(chunk: Buffer): void;
  /** The decoder rejected the stream: later bytes are discarded (the peer's FIN is still seen). */
  framingError?(err: ProtocolError): void;
  /** The peer finished sending (its FIN). The stream stays writable. */
  end?(): void;
  /** A refused write drained: the stream takes writes again. */
  writable?(): void;
  /** A stream error (ECONNRESET, EPIPE...); `closed` follows. */
  error?(err: Error): void;
  /** Nothing was read for `idleTimeoutMs`. */
  idle?(): void;
  /** A frame was still incomplete `frameTimeoutMs` after its first byte (reading goes on: the owner decides). */
  frameTimeout?(): void;
  /** The stream is gone. Runs once, also after `destroy()`; never after `detach()`. */
  closed?(): void;
  /** A handler threw. Default: destroy this connection. */
  fault?(err: unknown): void;
}

export interface StreamOptions<F> {
  /** Decodes incoming bytes into frames; null or absent: `bytes` gets the raw chunks. */
  decoder?: FrameDecoder<F> | null;
  handlers: StreamHandlers<F>;
  /** Bytes read before adoption (a sniffed prefix, an upgrade's head), fed before any read. */
  head?: Buffer;
  /** Start with reading held under this reason (call `release` to begin). */
  holdAtStart?: string;
  /** Hold reading while a write is refused (default true). */
  pauseOnWriteBlock?: boolean;
  /** Call `idle` after this long without bytes read (0: never). */
  idleTimeoutMs?: number;
  /** Call `frameTimeout` when a frame is still incomplete this long after its first byte (0: never). */
  frameTimeoutMs?: number;
  /** How long `close()` waits for the peer before destroying (default 2000 ms). */
  closeGraceMs?: number;
}

const WRITE_HOLD = 'write';

/**
 * The connection that adopted a stream first. Its `data` listener is one function shared by every
 * stream (EventEmitter calls it with the stream as `this`): a read loads no closure and context of
 * its own, which at a thousand connections are cache misses.
 */
const OWNER = Symbol('StreamConnection');
type Owned = Duplex & { [OWNER]?: StreamConnection<unknown> };

export class StreamConnection<F = Buffer> implements FrameWatch {
  readonly stream: Duplex;
  private readonly h: StreamHandlers<F>;
  private decoder: FrameDecoder<F> | null;
  private readonly holds = new Set<string>();
  private readonly pauseOnWriteBlock: boolean;
  private readonly graceMs: number;
  private discarding = false;
  private flowing = false;
  /** After destroy(): only `closed` runs. */
  private silenced = false;
  /** After detach(): nothing runs. */
  private detached = false;
  private isClosed = false;
  private blocked = false;
  private graceTimer: NodeJS.Timeout | null = null;
  private idleMs: number;
  private idleTimer: NodeJS.Timeout | null = null;
  /** When idleTimer fires (Date.now() time). */
  private idleDue = 0;
  private lastRead = 0;
  private readonly frameMs: number;
  private frameTimer: NodeJS.Timeout | null = null;
  /** FrameWatch (frame-watch.ts): kept here so a read loads no watch object of its own. */
  frameSince = 0;
  frameArmed = false;

  constructor(stream: Duplex, opts: StreamOptions<F>) {
    this.stream = stream;
    this.h = opts.handlers;
    this.decoder = opts.decoder ?? null;
    this.pauseOnWriteBlock = opts.pauseOnWriteBlock ?? true;
    this.graceMs = opts.closeGraceMs ?? 2000;
    this.idleMs = opts.idleTimeoutMs ?? 0;
    this.frameMs = opts.frameTimeoutMs ?? 0;
    if (opts.holdAtStart !== undefined) this.holds.add(opts.holdAtStart);
    stream.pause();
    const owned = stream as Owned;
    if (owned[OWNER] === undefined) {
      owned[OWNER] = this as StreamConnection<unknown>;
      stream.on('data', StreamConnection.ownedData);
    } else stream.on('data', (chunk: Buffer) => this.onData(chunk)); // adopted again: its own listener
    stream.on('end', () => this.call(this.h.end));
    stream.on('drain', () => this.onDrain());
    stream.on('error', (err: Error) => this.call(this.h.error, err));
    stream.on('close', () => this.onClose());
    if (stream.destroyed) queueMicrotask(() => this.onClose());
    if (opts.head !== undefined && opts.head.length > 0) this.onData(opts.head);
    if (this.idleMs > 0) this.armIdle(this.idleMs);
    this.update();
  }

  /** Whether bytes are being read now. */
  get reading(): boolean {
    return this.flowing;
  }

  /** The last write was refused and has not drained yet. */
  get writeBlocked(): boolean {
    return this.blocked;
  }

  get closed(): boolean {
    return this.isClosed || this.stream.destroyed;
  }

  /** Stops reading until every hold is released. Holds are named so independent reasons compose. */
  hold(reason: string): void {
    if (this.holds.has(reason)) return;
    this.holds.add(reason);
    this.update();
  }

  release(reason: string): void {
    if (this.holds.delete(reason)) this.update();
  }

  /** Replaces the decoder (null: raw bytes to `bytes`). */
  setDecoder(decoder: FrameDecoder<F> | null): void {
    this.decoder = decoder;
  }

  /** Stops decoding for good: bytes are read and dropped, so the peer's FIN or reset is still seen. */
  discardInput(): void {
    this.discarding = true;
    this.decoder = null;
    this.stopFrame();
    this.update();
  }

  /**
   * Sets or clears (0) the idle timeout; the quiet time counts from now. A server that turns it off
   * for each request and on again after its reply makes no timer for either: a check that fires
   * while it is off ends, and one due in time re-checks the quiet time when it fires.
   */
  setIdleTimeout(ms: number): void {
    this.idleMs = ms;
    if (ms === 0) return;
    this.lastRead = Date.now();
    if (this.idleTimer !== null && this.idleDue <= this.lastRead + ms) return;
    this.stopIdle();
    this.armIdleCheck(ms);
  }

  /** Writes if the stream still takes writes. False: refused (buffered over the mark) or gone. */
  write(data: Uint8Array | string): boolean {
    const s = this.stream;
    if (!s.writable) return false; // false once ended, destroyed or errored (one getter, not two)
    if (s.write(data)) return true;
    if (!this.blocked) {
      this.blocked = true;
      if (this.pauseOnWriteBlock) this.hold(WRITE_HOLD);
    }
    return false;
  }

  /** Resolves true once everything written has been handed to the OS, false at the deadline or on close. */
  flushed(deadlineMs: number): Promise<boolean> {
    const s = this.stream;
    if (s.writableLength === 0) return Promise.resolve(!s.destroyed);
    return new Promise<boolean>((resolve) => {
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        s.off('drain', onDrain);
        s.off('close', onGone);
        resolve(ok);
      };
      const onDrain = (): void => finish(true);
      const onGone = (): void => finish(false);
      const timer = setTimeout(() => finish(false), deadlineMs);
      timer.unref();
      s.on('drain', onDrain);
      s.on('close', onGone);
    });
  }

  /** Ends the stream after pending writes; destroys it if it has not closed within the grace period. */
  close(graceMs = this.graceMs): void {
    const s = this.stream;
    this.stopIdle();
    this.stopFrame();
    if (s.destroyed) return;
    if (!s.writableEnded) s.end();
    if (this.graceTimer === null) {
      this.graceTimer = setTimeout(() => s.destroy(), graceMs);
      this.graceTimer.unref();
    }
  }

  /** Destroys the stream now. Only `closed` runs afterwards. */
  destroy(): void {
    this.silenced = true;
    this.stopIdle();
    this.stopFrame();
    this.clearGrace();
    if (!this.stream.destroyed) this.stream.destroy();
  }

  /** Destroys the stream and drops the handlers: nothing runs afterwards (the owner is gone). */
  detach(): void {
    this.detached = true;
    this.silenced = true;
    this.stopIdle();
    this.stopFrame();
    this.clearGrace();
    if (!this.stream.destroyed) this.stream.destroy();
  }

  private static ownedData(this: Owned, chunk: Buffer): void {
    this[OWNER]!.onData(chunk);
  }

  private onData(chunk: Buffer): void {
    if (this.silenced || this.discarding) return;
    if (this.idleMs > 0) this.lastRead = Date.now();
    const dec = this.decoder;
    if (dec === null) {
      this.call(this.h.bytes, chunk);
      return;
    }
    const frames = dec.push(chunk);
    if (this.frameMs > 0) {
      const ms = framePushed(this, dec.buffered, frames.length, this.frameMs, Date.now);
      if (ms > 0) this.armFrame(ms);
    }
    if (frames.length > 0) this.call(this.h.frames, frames);
    if (dec.error !== null && this.decoder === dec) {
      this.discardInput();
      this.call(this.h.framingError, dec.error);
    }
  }

  private onDrain(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.release(WRITE_HOLD);
    this.call(this.h.writable);
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.flowing = false;
    this.stopIdle();
    this.stopFrame();
    this.clearGrace();
    this.call(this.h.closed);
  }

  private update(): void {
    const s = this.stream;
    if (s.destroyed) return;
    const want = this.discarding || this.holds.size === 0;
    if (want === this.flowing) return;
    this.flowing = want;
    if (want) s.resume();
    else s.pause();
  }

  private armIdle(ms: number): void {
    this.lastRead = Date.now();
    this.armIdleCheck(ms);
  }

  private armIdleCheck(ms: number): void {
    this.idleDue = Date.now() + ms;
    this.idleTimer = setTimeout(StreamConnection.idleFired, ms, this).unref();
  }

  private static idleFired(c: StreamConnection<unknown>): void {
    c.idleTimer = null;
    if (c.detached || c.isClosed || c.idleMs === 0) return;
    const quiet = Date.now() - c.lastRead;
    if (quiet >= c.idleMs) c.call(c.h.idle);
    else c.armIdleCheck(c.idleMs - quiet);
  }

  private armFrame(ms: number): void {
    this.frameTimer = setTimeout(StreamConnection.frameFired, ms, this).unref();
  }

  private static frameFired(c: StreamConnection<unknown>): void {
    c.frameTimer = null;
    if (c.silenced || c.discarding || c.isClosed) return;
    const r = frameTimerFired(c, Date.now(), c.frameMs);
    if (r > 0) c.armFrame(r);
    else if (r < 0) c.call(c.h.frameTimeout);
  }

  private stopFrame(): void {
    if (this.frameTimer !== null) clearTimeout(this.frameTimer);
    this.frameTimer = null;
    this.frameArmed = false;
    this.frameSince = 0;
  }

  private stopIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private clearGrace(): void {
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    this.graceTimer = null;
  }

  /** Runs one handler; a throw is this connection's fault only. */
  private call<A>(fn: ((arg: A) => void) | (() => void) | undefined, arg?: A): void {
    if (fn === undefined || this.detached || (this.silenced && fn !== this.h.closed)) return;
    try {
      (fn as (arg?: A) => void).call(this.h, arg);
    } catch (err) {
      if (this.h.fault) {
        try {
          this.h.fault(err);
          return;
        } catch {
          /* a failing fault handler falls back to the default */
        }
      }
      this.destroy();
    }
  }
}
