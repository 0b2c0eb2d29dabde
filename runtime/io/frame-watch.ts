// The frame deadline of a stream connection (stream.ts, option `frameTimeoutMs`), like nginx's
// client_body_timeout: a frame must complete within the limit of its first byte, so a peer that
// trickles bytes cannot hold a connection. The state is two fields of the connection itself (no
// object of its own to load per read); these functions are its rules, model-tested in
// specs/runtime/io-frame-watch.test.ts:
//  - at most one timer is pending: a frame that begins while one is pending is checked when it
//    fires, which re-arms for the rest (pipelined chunks that end mid-frame arm nothing new);
//  - a frame that arrives whole arms nothing;
//  - the timer says "overdue" exactly when the incomplete frame is at least the limit old.

export interface FrameWatch {
  /** When the first byte of the frame now being received arrived (0: no partial frame). */
  frameSince: number;
  /** A timer is pending (armed, not yet fired). */
  frameArmed: boolean;
}

/**
 * After a push that completed `completed` frames and left `buffered` bytes of an incomplete one:
 * the milliseconds to arm the timer for, or 0 (nothing to arm). `now` is read only when a frame began.
 */
export function framePushed(w: FrameWatch, buffered: number, completed: number, limitMs: number, now: () => number): number {
  if (buffered === 0) {
    w.frameSince = 0;
    return 0;
  }
  if (w.frameSince !== 0 && completed === 0) return 0; // the same frame, still coming
  w.frameSince = now(); // a new frame began in this chunk
  if (w.frameArmed) return 0;
  w.frameArmed = true;
  return limitMs;
}

/** When the timer fires: -1 (once) when the frame in progress is overdue, else the milliseconds to re-arm for (0: none). */
export function frameTimerFired(w: FrameWatch, now: number, limitMs: number): number {
  w.frameArmed = false;
  if (w.frameSince === 0) return 0;
  const age = now - w.frameSince;
  if (age < limitMs) {
    w.frameArmed = true;
    return limitMs - age;
  }
  w.frameSince = 0;
  return -1;
}
