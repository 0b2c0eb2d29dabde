// The limits a connection's frames must meet, both ways. In: a frame must complete within
// FrameTimeoutMs of its first byte (like nginx's client_body_timeout), so a peer that trickles
// bytes cannot hold a connection slot; FrameDeadline wraps the decoder and remembers when the frame
// now being received began (the connection arms a timer through `arm` and asks `overdue` when it
// fires). At most one timer is pending: a frame that arrives whole arms nothing, and a frame that
// begins while a timer is pending is checked when that timer fires (it re-arms for the rest), so
// pipelined traffic whose chunks end mid-frame does not re-arm a timer per chunk.
// Out: a reply over MaxFrameBytes is never sent (replyOverCap).

import type { FrameDecoder } from '../../protocols/framing/index.ts';

export class FrameDeadline<F> implements FrameDecoder<F> {
  private readonly dec: FrameDecoder<F>;
  private readonly arm: (ms: number) => void;
  readonly limitMs: number;
  /** When the first byte of the frame now being received arrived (0: no partial frame). */
  private since = 0;
  /** A timer is pending (armed, not yet fired). */
  private pending = false;

  private readonly now: () => number;

  constructor(dec: FrameDecoder<F>, limitMs: number, arm: (ms: number) => void, now: () => number = Date.now) {
    this.dec = dec;
    this.limitMs = limitMs;
    this.arm = arm;
    this.now = now;
  }

  push(chunk: Uint8Array): F[] {
    const frames = this.dec.push(chunk);
    if (this.dec.buffered === 0) this.since = 0;
    else if (this.since === 0 || frames.length > 0) {
      // A new frame began in this chunk.
      this.since = this.now();
      if (!this.pending) {
        this.pending = true;
        this.arm(this.limitMs);
      }
    }
    return frames;
  }

  end() {
    return this.dec.end();
  }

  get error() {
    return this.dec.error;
  }

  get buffered(): number {
    return this.dec.buffered;
  }

  /** Called when the timer fires: true (once) when the frame in progress is overdue; re-arms for a younger frame. */
  overdue(now: number): boolean {
    this.pending = false;
    if (this.since === 0) return false;
    const age = now - this.since;
    if (age < this.limitMs) {
      this.pending = true;
      this.arm(this.limitMs - age);
      return false;
    }
    this.since = 0;
    return true;
  }
}

/** 0 when `text` fits in `max` UTF-8 bytes, else its size in bytes. */
export function replyOverCap(text: string, max: number): number {
  if (text.length * 3 <= max) return 0; // cannot be over (3 bytes per UTF-16 unit at most)
  const bytes = Buffer.byteLength(text);
  return bytes <= max ? 0 : bytes;
}
