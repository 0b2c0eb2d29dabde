// Binary publish runs on the client -> local broker socket (an addition to the JSON lines of
// json.ts and json-batch.ts; the local broker takes both on one socket). A client sends the
// publishes of one turn to one id and topic as one run: each is still its own operation with its
// own rid (rid, rid+1, ...), status and error, exactly as a `publish-batch` line. Its texts are
// raw UTF-8 laid out as the link's `publish-batch` frame lays them out (n x str32), so the local
// broker forwards them to the server with one copy, without making a string of any of them.
// A run is told apart from a JSON line by its first two bytes (NUL, which never starts one, then 'P'):
//   0x00 0x50, u32 N (payload bytes), payload: u32 rid, u32 id high, u32 id low, u16 topic bytes,
//   topic, u32 n (1 .. MAX_PUBLISH_BATCH), then n x (u32 text bytes, text)
// A NUL followed by anything else starts a line (garbage: -9 once its newline comes), so a stray
// NUL never leaves the connection waiting for a run. The decoder is strict about the layout (a cut field, lengths that do not add up to the payload,
// a count or rid out of range, a run over the size cap: ProtocolError, and the connection closes).
// The texts themselves are not judged here: a text over the message limit or not valid UTF-8 is
// that one publish's error (-3, -4), found by the local broker (`publishText` helps a test read one).

import { Buffer, isUtf8 } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { MAX_PUBLISH_BATCH } from './json-batch.ts';
import { MAX_RID } from './types.ts';

/** The bytes that start a run (a JSON line starts with `{`). */
export const PUBLISH_RUN_MARK = 0x00;
export const PUBLISH_RUN_KIND = 0x50;
/** Mark, kind and the u32 payload size. */
export const PUBLISH_RUN_HEADER = 2 + 4;
const HEADER = PUBLISH_RUN_HEADER;
const TWO_32 = 2 ** 32;

/** One decoded run: its texts stay bytes in `buf`, entries (u32 length, text) from `bodyAt` to `end`. */
export interface PublishRun {
  type: 'publish-run';
  /** The first publish's rid; the i-th has rid + i. */
  rid: number;
  id: number;
  topic: string;
  count: number;
  readonly buf: Buffer;
  readonly bodyAt: number;
  readonly end: number;
}

/**
 * Encodes texts [from, to) as one run (mark and length included). `id` must be a safe integer
 * ≥ 0 (a bad id is the local broker's -4, not a framing error); texts must be well-formed.
 */
export function encodePublishRun(rid: number, id: number, topic: string, msgs: readonly string[], from = 0, to = msgs.length): Buffer {
  const n = to - from;
  if (n < 1 || n > MAX_PUBLISH_BATCH) throw new ProtocolError('invalid-field', `a publish run holds 1..${MAX_PUBLISH_BATCH} messages, not ${n}`);
  if (!Number.isInteger(rid) || rid < 1 || rid + n - 1 > MAX_RID) throw new ProtocolError('invalid-field', `rid ${rid} .. ${rid + n - 1} must be in 1..${MAX_RID}`);
  if (!Number.isSafeInteger(id) || id < 0) throw new ProtocolError('invalid-field', `id ${id} must be a safe integer ≥ 0`);
  const tb = Buffer.byteLength(topic, 'utf8');
  if (tb > 0xffff) throw new ProtocolError('frame-too-large', `topic is ${tb} bytes; the field holds at most ${0xffff}`);
  // at most 3 UTF-8 bytes a UTF-16 unit: one allocation, trimmed to what was written
  let most = HEADER + 4 + 8 + 2 + tb + 4;
  for (let i = from; i < to; i++) most += 4 + 3 * msgs[i].length;
  const out = Buffer.allocUnsafe(most);
  out[0] = PUBLISH_RUN_MARK;
  out[1] = PUBLISH_RUN_KIND;
  out.writeUInt32BE(rid, 6);
  const hi = Math.floor(id / TWO_32);
  out.writeUInt32BE(hi, 10);
  out.writeUInt32BE(id - hi * TWO_32, 14);
  out.writeUInt16BE(tb, 18);
  let pos = 20 + out.write(topic, 20, tb, 'utf8');
  out.writeUInt32BE(n, pos);
  pos += 4;
  for (let i = from; i < to; i++) {
    const w = msgs[i].length === 0 ? 0 : out.write(msgs[i], pos + 4, 'utf8');
    out.writeUInt32BE(w, pos);
    pos += 4 + w;
  }
  out.writeUInt32BE(pos - HEADER, 2);
  return out.subarray(0, pos);
}

/** Decodes one run's payload (after the mark and length); `base` is its offset in `buf`. */
export function decodePublishRun(buf: Buffer, base: number, size: number): PublishRun {
  const end = base + size;
  let pos = base;
  const need = (k: number, what: string): void => {
    if (pos + k > end) throw new ProtocolError('truncated', `publish run ends inside ${what}`, pos - base);
  };
  need(4 + 8 + 2, 'its header');
  const rid = buf.readUInt32BE(pos);
  const hi = buf.readUInt32BE(pos + 4);
  if (hi > 0x1f_ffff) throw new ProtocolError('invalid-field', 'publish run id is outside the safe integer range', pos + 4 - base);
  const id = hi * TWO_32 + buf.readUInt32BE(pos + 8);
  const tl = buf.readUInt16BE(pos + 12);
  pos += 14;
  need(tl, 'its topic');
  const tbytes = buf.subarray(pos, pos + tl);
  if (!isUtf8(tbytes)) throw new ProtocolError('invalid-field', 'publish run topic is not valid UTF-8', pos - base);
  const topic = tbytes.toString('utf8');
  pos += tl;
  need(4, 'its count');
  const count = buf.readUInt32BE(pos);
  if (count < 1 || count > MAX_PUBLISH_BATCH) throw new ProtocolError('invalid-field', `publish run count ${count} is outside 1..${MAX_PUBLISH_BATCH}`, pos - base);
  if (rid < 1 || rid + count - 1 > MAX_RID) throw new ProtocolError('invalid-field', `publish run rids ${rid} .. ${rid + count - 1} are outside 1..${MAX_RID}`, 0);
  pos += 4;
  const bodyAt = pos;
  for (let i = 0; i < count; i++) {
    need(4, `the length of message ${i}`);
    const n = buf.readUInt32BE(pos);
    pos += 4;
    need(n, `message ${i}`);
    pos += n;
  }
  if (pos !== end) throw new ProtocolError('trailing-bytes', `${end - pos} bytes after the last message of a publish run`, pos - base);
  return { type: 'publish-run', rid, id, topic, count, buf, bodyAt, end };
}

/** Text of the entry at `at` (its length field), or null when it is not valid UTF-8. */
export function publishText(buf: Buffer, at: number): string | null {
  const n = buf.readUInt32BE(at);
  const bytes = buf.subarray(at + 4, at + 4 + n);
  return isUtf8(bytes) ? bytes.toString('utf8') : null;
}

/** The texts of a run, in order (null where a text is not valid UTF-8): for tests and tools. */
export function publishTexts(r: PublishRun): (string | null)[] {
  const out: (string | null)[] = [];
  for (let at = r.bodyAt; at < r.end; at += 4 + r.buf.readUInt32BE(at)) out.push(publishText(r.buf, at));
  return out;
}
