// The gathered records of a link leaving as frames: encoded at once in the common case; a frame
// over the cap is split by records (a run by its messages), one record over it is lost; a frame
// whose encoder throws (something in it cannot cross) is taken apart so that only what cannot
// cross is refused, with the field named. This is the only place messages are looked at one by
// one before sending, and only after an encoder failure.

import { encodeFrame, unsendable, W_BEAT, W_CTRL_REPLY, W_EVENT, W_MAIL, W_REPLY, W_RUN } from './codec.ts';
import type { FrameChannel } from './transport.ts';
import type { Logger } from '../actor/types.ts';

export interface Framing {
  peer: string;
  maxFrameBytes: number;
  maxDepth: number;
  /** Records that will not be sent: dead letters, failed asks (the router's `lost`). */
  lost(records: unknown[], why: string): void;
  log: Logger;
}

/** Encodes and sends `records`; `checked`: each was found sendable alone (no second take-apart). */
export function sendFrames(ch: FrameChannel, records: unknown[], f: Framing, checked = false): void {
  let bytes: Uint8Array;
  try {
    bytes = encodeFrame(records);
  } catch (err) {
    if (!checked) return sendSendable(ch, records, f);
    // each record passed alone: what fails together is lost rather than tried again
    return f.lost(records, `a frame to ${f.peer} cannot cross (${(err as Error).message})`);
  }
  if (bytes.length <= f.maxFrameBytes) return ch.send(bytes);
  const starts = recordStarts(records);
  if (starts.length === 1) {
    if (records[0] === W_RUN && (records[5] as unknown[]).length > 1) {
      const msgs = records[5] as unknown[];
      const half = msgs.length >> 1;
      sendFrames(ch, [...records.slice(0, 5), msgs.slice(0, half)], f, checked);
      sendFrames(ch, [...records.slice(0, 5), msgs.slice(half)], f, checked);
      return;
    }
    f.lost(records, `message of ${bytes.length} bytes is over the frame cap of ${f.maxFrameBytes} bytes`);
    return;
  }
  const mid = starts[starts.length >> 1];
  sendFrames(ch, records.slice(0, mid), f, checked);
  sendFrames(ch, records.slice(mid), f, checked);
}

/**
 * The frame did not encode: something in it cannot cross (rare, so only now is each message
 * looked at). Mail that cannot cross is lost with the field named (dead letters, its ask fails
 * `unsendable`); a reply becomes an `unsendable` error; inspection data goes as JSON; the rest is
 * sent.
 */
function sendSendable(ch: FrameChannel, records: unknown[], f: Framing): void {
  const keep: unknown[] = [];
  const peer = f.peer;
  const starts = recordStarts(records);
  for (let s = 0; s < starts.length; s++) {
    const rec = records.slice(starts[s], s + 1 < starts.length ? starts[s + 1] : records.length);
    const k = rec[0];
    if (k === W_RUN) {
      const good: unknown[] = [];
      for (const m of rec[5] as unknown[]) {
        const why = unsendable(m, f.maxDepth);
        if (why === null) good.push(m);
        else f.lost([...rec.slice(0, 5), [m]], `message to ${peer}:${String(rec[1])} cannot cross to node ${peer}: ${why}`);
      }
      if (good.length > 0) keep.push(...rec.slice(0, 5), good);
      continue;
    }
    // the value that may not cross: a mail's message, a reply's value, or the whole record
    const at = k === W_MAIL || k === W_REPLY || k === W_CTRL_REPLY ? 3 : -1;
    const why = unsendable(at < 0 ? rec : rec[at], f.maxDepth);
    // inspection data (snapshots with actors' inspect() details, events) is what the local
    // control socket shows: JSON, where a function is left out rather than failing the answer
    const json = why !== null && (k === W_CTRL_REPLY || k === W_EVENT) ? asJson(rec) : null;
    if (why === null) keep.push(...rec);
    else if (json !== null) keep.push(...json);
    else if (k === W_REPLY) keep.push(W_REPLY, rec[1], 0, { code: 'unsendable', message: `the reply cannot cross to node ${peer}: ${why}` });
    else if (k === W_CTRL_REPLY) keep.push(W_CTRL_REPLY, rec[1], 0, `the answer cannot cross: ${why}`);
    else if (k === W_MAIL) f.lost(rec, `message to ${peer}:${String(rec[1])} cannot cross to node ${peer}: ${why}`);
    else f.log.warn('a record for a peer node cannot be serialised; dropped', { peer, kind: k, reason: why });
  }
  if (keep.length > 0) sendFrames(ch, keep, f, true);
}

function asJson(rec: unknown[]): unknown[] | null {
  try {
    const r = JSON.parse(JSON.stringify(rec)) as unknown[];
    encodeFrame(r);
    return r;
  } catch {
    return null;
  }
}

/** Where each record of a frame starts (the field count follows from its kind). */
export function recordStarts(r: unknown[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < r.length; ) {
    out.push(i);
    const k = r[i] as number;
    i += k === W_MAIL ? 8 : k === W_RUN ? 6 : k === W_BEAT ? 1 : k === W_EVENT ? 2 : 4;
  }
  return out;
}
