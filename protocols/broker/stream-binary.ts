// Binary stream runs on the client <-> local broker socket (an addition to the stream lines of
// json-stream.ts, asked for with `binary: true` in the stream's open line). The local broker then
// sends a stream's messages as runs: one topic, consecutive seqs, the texts as raw UTF-8, so
// neither side builds or parses JSON per message and the client makes a text only when it is
// taken. Every other line on the socket stays a JSON line; a run is told apart by its first byte
// (NUL, which never starts a JSON line):
//   0x00, u32 N (payload bytes), payload: u32 stream rid, u16 topic bytes, topic,
//   u32 seq high, u32 seq low (the first seq, 0 .. 2^53-1), u32 n (1 .. 65 535),
//   n x u32 (each text's bytes), then the n texts back to back
// The texts are contiguous so that a run of ASCII texts (the usual case) is checked and decoded
// with one call, each text then being a slice of that string. The decoder is strict: a cut field,
// invalid UTF-8, lengths that do not add up to the payload, or a run over the size cap throw a
// ProtocolError; invalid bytes are never replaced.

import { Buffer, isAscii, isUtf8 } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { MAX_RID } from './types.ts';

/** The byte that starts a run (a JSON line starts with `{`). */
export const RUN_MARK = 0x00;
/** Most messages in one run. */
export const MAX_RUN = 0xffff;
const TWO_32 = 2 ** 32;
const HEADER = 1 + 4;

/** One decoded run. Its texts come out in order through `runText`. */
export interface StreamRun {
  stream: number;
  topic: string;
  /** The seq of the first message; message i has seq + i. */
  seq: number;
  count: number;
  readonly buf: Buffer;
  /** Where the lengths table starts in `buf` (count x u32), and where the texts start. */
  readonly lengthsAt: number;
  readonly textsAt: number;
  /** All texts as one string when they are ASCII (then text i is a slice of it), else null. */
  readonly ascii: string | null;
  /** Reading position: the next text's index and its byte offset in `buf` (texts are taken in order). */
  next: number;
  at: number;
}

/** Text `i` of a run, which must be its next one (`r.next`); throws a ProtocolError when it is not valid UTF-8. */
export function runText(r: StreamRun, i: number): string {
  if (i !== r.next) throw new RangeError(`stream run texts are taken in order: asked for ${i}, next is ${r.next}`);
  const n = r.buf.readUInt32BE(r.lengthsAt + 4 * i);
  const at = r.at;
  r.next = i + 1;
  r.at = at + n;
  if (r.ascii !== null) return r.ascii.slice(at - r.textsAt, at - r.textsAt + n);
  if (n === 0) return '';
  const bytes = r.buf.subarray(at, at + n);
  if (!isUtf8(bytes)) throw new ProtocolError('invalid-field', `message ${i} of stream run ${r.stream} is not valid UTF-8`, at);
  return bytes.toString('utf8');
}

/**
 * Encodes messages [from, to) of `texts` as one run (mark and length included). The caller keeps
 * a run under its size cap (`runBytes` gives the exact size); `topic` must be a valid topic (ASCII).
 */
export function encodeStreamRun(stream: number, topic: string, seq: number, texts: readonly string[], from = 0, to = texts.length): Buffer {
  const n = to - from;
  if (!Number.isInteger(stream) || stream < 1 || stream > MAX_RID) throw new ProtocolError('invalid-field', `stream ${stream} must be an integer in 1..${MAX_RID}`);
  if (n < 1 || n > MAX_RUN) throw new ProtocolError('invalid-field', `a stream run holds 1..${MAX_RUN} messages, not ${n}`);
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > Number.MAX_SAFE_INTEGER - (n - 1)) throw new ProtocolError('invalid-field', `seq ${seq} must be a safe integer ≥ 0`);
  // one string of all texts: when its UTF-8 size is its length, every text is ASCII (one copy, lengths known)
  const joined = n === 1 ? texts[from] : texts.slice(from, to).join('');
  const joinedBytes = Buffer.byteLength(joined, 'utf8');
  const ascii = joinedBytes === joined.length;
  const tb = Buffer.byteLength(topic, 'utf8');
  const textsAt = HEADER + 4 + 2 + tb + 12 + 4 * n;
  const out = Buffer.allocUnsafe(textsAt + joinedBytes);
  out[0] = RUN_MARK;
  out.writeUInt32BE(out.length - HEADER, 1);
  out.writeUInt32BE(stream, 5);
  out.writeUInt16BE(tb, 9);
  out.write(topic, 11, tb, 'utf8');
  let pos = 11 + tb;
  const hi = Math.floor(seq / TWO_32);
  out.writeUInt32BE(hi, pos);
  out.writeUInt32BE(seq - hi * TWO_32, pos + 4);
  out.writeUInt32BE(n, pos + 8);
  pos += 12;
  if (ascii) {
    for (let i = from; i < to; i++, pos += 4) out.writeUInt32BE(texts[i].length, pos);
    out.write(joined, textsAt, 'latin1');
  } else {
    let at = textsAt;
    for (let i = from; i < to; i++, pos += 4) {
      const w = out.write(texts[i], at, 'utf8');
      out.writeUInt32BE(w, pos);
      at += w;
    }
  }
  return out;
}

/** The payload size of a run of texts [from, to) (without the 5-byte mark and length). */
export function runBytes(topic: string, texts: readonly string[], from = 0, to = texts.length): number {
  let size = 4 + 2 + Buffer.byteLength(topic, 'utf8') + 8 + 4;
  for (let i = from; i < to; i++) size += 4 + Buffer.byteLength(texts[i], 'utf8');
  return size;
}

/** Decodes one run's payload (after the mark and length); `base` is its offset in `buf`. */
export function decodeStreamRun(buf: Buffer, base: number, size: number): StreamRun {
  const end = base + size;
  let pos = base;
  const need = (k: number, what: string): void => {
    if (pos + k > end) throw new ProtocolError('truncated', `stream run ends inside ${what}`, pos - base);
  };
  need(4 + 2, 'its header');
  const stream = buf.readUInt32BE(pos);
  if (stream === 0) throw new ProtocolError('invalid-field', 'stream run for stream 0', pos - base);
  const tl = buf.readUInt16BE(pos + 4);
  pos += 6;
  need(tl, 'its topic');
  const tbytes = buf.subarray(pos, pos + tl);
  if (!isUtf8(tbytes)) throw new ProtocolError('invalid-field', 'stream run topic is not valid UTF-8', pos - base);
  const topic = tbytes.toString('utf8');
  pos += tl;
  need(12, 'its seq and count');
  const hi = buf.readUInt32BE(pos);
  const seq = hi * TWO_32 + buf.readUInt32BE(pos + 4);
  const count = buf.readUInt32BE(pos + 8);
  if (hi > 0x1f_ffff) throw new ProtocolError('invalid-field', 'stream run seq is outside the safe integer range', pos - base);
  if (count < 1 || count > MAX_RUN) throw new ProtocolError('invalid-field', `stream run count ${count} is outside 1..${MAX_RUN}`, pos + 8 - base);
  if (seq > Number.MAX_SAFE_INTEGER - (count - 1)) throw new ProtocolError('invalid-field', 'stream run seqs leave the safe integer range', pos - base);
  pos += 12;
  need(4 * count, 'its lengths');
  const lengthsAt = pos;
  let total = 0;
  for (let i = 0; i < count; i++) total += buf.readUInt32BE(pos + 4 * i);
  pos += 4 * count;
  if (pos + total !== end) {
    if (pos + total > end) throw new ProtocolError('truncated', `stream run texts need ${total} bytes, ${end - pos} left`, pos - base);
    throw new ProtocolError('trailing-bytes', `${end - pos - total} bytes after the last text of a stream run`, pos + total - base);
  }
  const region = buf.subarray(pos, end);
  const ascii = isAscii(region) ? buf.toString('latin1', pos, end) : null;
  return { stream, topic, seq, count, buf, lengthsAt, textsAt: pos, ascii, next: 0, at: pos };
}

/** What the socket from a local broker carries: a JSON line (without its newline) or a run. */
export type LbItem = { kind: 'line'; text: string } | { kind: 'run'; run: StreamRun };

/**
 * Splits the bytes from a local broker into JSON lines and runs, across chunk boundaries. A run
 * over `maxRunBytes`, or a line over it without its newline, is an error (`push` throws).
 */
export class LbSocketSplitter {
  readonly #max: number;
  #rest: Buffer | null = null;

  constructor(maxRunBytes: number) {
    this.#max = maxRunBytes;
  }

  /** Everything complete in what arrived so far, in order. */
  push(chunk: Buffer): LbItem[] {
    const buf = this.#rest === null ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = null;
    const out: LbItem[] = [];
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      if (buf[pos] === RUN_MARK) {
        if (pos + HEADER > len) break;
        const size = buf.readUInt32BE(pos + 1);
        if (size > this.#max) throw new ProtocolError('frame-too-large', `stream run of ${size} bytes exceeds ${this.#max}`, pos);
        if (pos + HEADER + size > len) break;
        out.push({ kind: 'run', run: decodeStreamRun(buf, pos + HEADER, size) });
        pos += HEADER + size;
        continue;
      }
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) break;
      out.push({ kind: 'line', text: buf.toString('utf8', pos, nl) });
      pos = nl + 1;
    }
    if (pos < len) {
      // a run's header may name a size the rest cannot reach yet; a line must stay under the cap
      if (buf[pos] !== RUN_MARK && len - pos > this.#max) throw new ProtocolError('frame-too-large', `line longer than ${this.#max} bytes`, pos);
      this.#rest = pos === 0 ? buf : buf.subarray(pos);
    }
    return out;
  }

  /** Bytes held for an incomplete line or run. */
  get pending(): number {
    return this.#rest?.length ?? 0;
  }
}
