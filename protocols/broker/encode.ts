// Broker frame encoder (the "sender" half). Layouts: PROTOCOL.md. Every frame is written into one
// buffer, length32 prefix included, after a size pass (no concatenation).

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { BROKER_PROTOCOL_VERSION, MAX_FANOUT, MAX_ID, MAX_RID, OPCODES, type BrokerFrame } from './types.ts';

export interface EncodeOptions {
  /** Largest payload (excluding the 4-byte prefix); default 1 MiB (maxFrameBytes, broker.md §6.2). */
  maxFrameBytes?: number;
}

export const DEFAULT_MAX_FRAME_BYTES = 1 << 20;

const FLAG_WAIT = 0x01;
const FLAG_TIMEOUT = 0x02;
const FLAG_ID = 0x01;
const FLAG_DELIVERY = 0x02;
export const RECV_FLAGS = { wait: FLAG_WAIT, timeout: FLAG_TIMEOUT } as const;
export const REPLY_FLAGS = { id: FLAG_ID, delivery: FLAG_DELIVERY } as const;

const TWO_32 = 2 ** 32;
/** Most entries (messages, runs, subscribers of one message) a batch frame holds; the frame cap usually binds first. */
export const MAX_BATCH = 0xffff;

function bad(detail: string): ProtocolError {
  return new ProtocolError('invalid-field', detail);
}

function checkRid(rid: number, allowZero: boolean): void {
  if (!Number.isInteger(rid) || rid < (allowZero ? 0 : 1) || rid > MAX_RID) {
    throw bad(`rid ${rid} must be an integer in ${allowZero ? 0 : 1}..${MAX_RID}`);
  }
}

function checkId(what: string, id: number, min: number): void {
  if (!Number.isSafeInteger(id) || id < min || id > MAX_ID) throw bad(`${what} ${id} must be an integer in ${min}..${MAX_ID}`);
}

function strLen(what: string, s: string, max: number): number {
  if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) throw bad(`${what} contains a lone surrogate (not encodable as UTF-8)`);
  const n = Buffer.byteLength(s, 'utf8');
  if (n > max) throw new ProtocolError('frame-too-large', `${what} is ${n} bytes; the field holds at most ${max}`);
  return n;
}

class Writer {
  readonly buf: Buffer;
  pos: number;
  constructor(buf: Buffer, pos: number) {
    this.buf = buf;
    this.pos = pos;
  }
  u8(v: number): void {
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }
  /** 64-bit two's complement of a safe integer, as two 32-bit halves. */
  i64(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(v - hi * TWO_32, this.pos + 4);
    this.pos += 8;
  }
  str(s: string, bytes: number): void {
    if (bytes > 0) this.buf.write(s, this.pos, bytes, 'utf8');
    this.pos += bytes;
  }
}

/**
 * Encode one frame: 4-byte big-endian payload length, then the payload. Throws ProtocolError
 * ('invalid-field' for out-of-range values, 'frame-too-large' when the payload exceeds
 * maxFrameBytes or a length field) so that an invalid frame never reaches the wire.
 */
/**
 * The topic table, then each message as (topic index, text), of the deliver-batch and deliver-runs
 * frames; `lens` holds the topics' byte lengths, then the messages'. `after(i)` writes what
 * follows message i in its frame (deliver-batch's recipients).
 */
function writeTopicsAndMsgs(w: Writer, topics: readonly string[], msgs: readonly { topic: number; msg: string }[], lens: readonly number[], after: ((i: number) => void) | null): void {
  const nt = topics.length;
  w.u16(nt);
  for (let i = 0; i < nt; i++) {
    w.u16(lens[i]);
    w.str(topics[i], lens[i]);
  }
  w.u32(msgs.length);
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i];
    w.u16(m.topic);
    w.u32(lens[nt + i]);
    w.str(m.msg, lens[nt + i]);
    if (after !== null) after(i);
  }
}

export function encodeBrokerFrame(frame: BrokerFrame, options: EncodeOptions = {}): Buffer {
  const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  let size = 1;
  let topicBytes = 0;
  let msgBytes = 0;
  let textBytes = 0;
  /** Byte lengths of a batch frame's strings, in write order (computed once in the size pass). */
  let lens: number[] = [];
  switch (frame.type) {
    case 'hello':
      if (frame.version !== BROKER_PROTOCOL_VERSION) throw new ProtocolError('unsupported-version', `hello version ${frame.version} is not ${BROKER_PROTOCOL_VERSION}`);
      textBytes = strLen('lbId', frame.lbId, 255);
      if (textBytes === 0) throw bad('lbId is empty');
      size += 1 + 1 + textBytes;
      break;
    case 'create':
      checkRid(frame.rid, false);
      size += 4;
      break;
    case 'publish':
      checkRid(frame.rid, false);
      checkId('id', frame.id, 1);
      topicBytes = strLen('topic', frame.topic, 0xffff);
      msgBytes = strLen('message', frame.msg, max);
      size += 4 + 8 + 2 + topicBytes + 4 + msgBytes;
      break;
    case 'subscribe':
    case 'unsubscribe':
      checkRid(frame.rid, false);
      checkId('id', frame.id, 1);
      topicBytes = strLen('topic', frame.topic, 0xffff);
      size += 4 + 8 + 2 + topicBytes;
      break;
    case 'recv':
      checkRid(frame.rid, false);
      checkId('id', frame.id, 1);
      if (frame.timeoutMs !== undefined && (!Number.isInteger(frame.timeoutMs) || frame.timeoutMs < 0 || frame.timeoutMs > 0xffff_ffff)) {
        throw bad(`timeoutMs ${frame.timeoutMs} must be an integer in 0..${0xffff_ffff}`);
      }
      size += 4 + 8 + 1 + 4;
      break;
    case 'destroy':
      checkRid(frame.rid, false);
      checkId('id', frame.id, 1);
      size += 4 + 8;
      break;
    case 'ack':
      checkId('id', frame.id, 1);
      checkId('seq', frame.seq, 0);
      size += 8 + 8;
      break;
    case 'reply':
      checkRid(frame.rid, false);
      checkId('status', frame.status, 0);
      textBytes = strLen('description', frame.description, 0xffff);
      size += 4 + 8 + 2 + textBytes + 1;
      if (frame.id !== undefined) {
        checkId('id', frame.id, 1);
        size += 8;
      }
      if (frame.delivery !== undefined) {
        checkId('seq', frame.delivery.seq, 0);
        topicBytes = strLen('topic', frame.delivery.topic, 0xffff);
        msgBytes = strLen('message', frame.delivery.msg, max);
        size += 2 + topicBytes + 4 + msgBytes + 8;
      }
      break;
    case 'error':
      checkRid(frame.rid, true);
      if (!Number.isSafeInteger(frame.code) || frame.code >= 0) throw bad(`error code ${frame.code} must be a negative integer`);
      textBytes = strLen('description', frame.description, 0xffff);
      if (textBytes === 0) throw bad(`error ${frame.code} has no description`);
      size += 4 + 8 + 2 + textBytes;
      break;
    case 'deliver':
      checkId('id', frame.id, 1);
      checkId('seq', frame.seq, 0);
      topicBytes = strLen('topic', frame.topic, 0xffff);
      msgBytes = strLen('message', frame.msg, max);
      size += 8 + 8 + 2 + topicBytes + 4 + msgBytes;
      break;
    case 'fanout':
      if (frame.to.length < 1 || frame.to.length > MAX_FANOUT) throw bad(`fanout names ${frame.to.length} subscribers; it holds 1..${MAX_FANOUT}`);
      for (const t of frame.to) {
        checkId('id', t.id, 1);
        checkId('seq', t.seq, 0);
      }
      topicBytes = strLen('topic', frame.topic, 0xffff);
      msgBytes = strLen('message', frame.msg, max);
      size += 2 + topicBytes + 4 + msgBytes + 2 + 16 * frame.to.length;
      break;
    case 'publish-batch':
      checkRid(frame.rid, false);
      checkId('id', frame.id, 1);
      if (frame.msgs.length < 1 || frame.msgs.length > MAX_BATCH) throw bad(`publish-batch holds ${frame.msgs.length} messages; it holds 1..${MAX_BATCH}`);
      topicBytes = strLen('topic', frame.topic, 0xffff);
      size += 4 + 8 + 2 + topicBytes + 4;
      lens = new Array<number>(frame.msgs.length);
      for (let i = 0; i < frame.msgs.length; i++) size += 4 + (lens[i] = strLen('message', frame.msgs[i], max));
      break;
    case 'reply-batch':
      checkRid(frame.rid, false);
      if (frame.runs.length < 1 || frame.runs.length > MAX_BATCH) throw bad(`reply-batch holds ${frame.runs.length} runs; it holds 1..${MAX_BATCH}`);
      size += 4 + 4;
      lens = new Array<number>(frame.runs.length);
      for (let i = 0; i < frame.runs.length; i++) {
        const r = frame.runs[i];
        if (!Number.isInteger(r.count) || r.count < 1 || r.count > MAX_BATCH) throw bad(`run count ${r.count} must be an integer in 1..${MAX_BATCH}`);
        if (!Number.isSafeInteger(r.status)) throw bad(`status ${r.status} must be a safe integer`);
        lens[i] = strLen('description', r.description, 0xffff);
        if (r.status < 0 && lens[i] === 0) throw bad(`error ${r.status} has no description`);
        size += 4 + 8 + 2 + lens[i];
      }
      break;
    case 'deliver-batch': {
      const nt = frame.topics.length;
      if (nt < 1 || nt > 0xffff) throw bad(`deliver-batch names ${nt} topics; it holds 1..${0xffff}`);
      if (frame.msgs.length < 1 || frame.msgs.length > MAX_BATCH) throw bad(`deliver-batch holds ${frame.msgs.length} messages; it holds 1..${MAX_BATCH}`);
      lens = new Array<number>(nt + frame.msgs.length);
      size += 2 + 4;
      for (let i = 0; i < nt; i++) size += 2 + (lens[i] = strLen('topic', frame.topics[i], 0xffff));
      for (let i = 0; i < frame.msgs.length; i++) {
        const m = frame.msgs[i];
        if (!Number.isInteger(m.topic) || m.topic < 0 || m.topic >= nt) throw bad(`message ${i} names topic ${m.topic}; the frame has ${nt}`);
        const pairs = m.to.length / 2;
        if (pairs < 1 || !Number.isInteger(pairs) || pairs > MAX_BATCH) throw bad(`message ${i} goes to ${m.to.length / 2} subscribers; it holds 1..${MAX_BATCH} (id, seq) pairs`);
        for (let j = 0; j < m.to.length; j += 2) {
          checkId('id', m.to[j], 1);
          checkId('seq', m.to[j + 1], 0);
        }
        size += 2 + 4 + (lens[nt + i] = strLen('message', m.msg, max)) + 4 + 8 * m.to.length;
      }
      break;
    }
    case 'deliver-runs': {
      const nt = frame.topics.length;
      const nm = frame.msgs.length;
      if (nt < 1 || nt > 0xffff) throw bad(`deliver-runs names ${nt} topics; it holds 1..${0xffff}`);
      if (nm < 1 || nm > MAX_BATCH) throw bad(`deliver-runs holds ${nm} messages; it holds 1..${MAX_BATCH}`);
      const nr = frame.runs.length / 4;
      if (nr < 1 || !Number.isInteger(nr) || nr > MAX_BATCH) throw bad(`deliver-runs holds ${nr} runs; it holds 1..${MAX_BATCH} (id, seq, first, count)`);
      lens = new Array<number>(nt + nm);
      size += 2 + 4 + 4 + 24 * nr;
      for (let i = 0; i < nt; i++) size += 2 + (lens[i] = strLen('topic', frame.topics[i], 0xffff));
      for (let i = 0; i < nm; i++) {
        const m = frame.msgs[i];
        if (!Number.isInteger(m.topic) || m.topic < 0 || m.topic >= nt) throw bad(`message ${i} names topic ${m.topic}; the frame has ${nt}`);
        size += 2 + 4 + (lens[nt + i] = strLen('message', m.msg, max));
      }
      const r = frame.runs;
      for (let j = 0; j < r.length; j += 4) {
        checkId('id', r[j], 1);
        checkId('seq', r[j + 1], 0);
        const first = r[j + 2];
        const count = r[j + 3];
        if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 1 || first + count > nm) throw bad(`run ${j / 4} names messages ${first}..${first + count - 1}; the frame has ${nm}`);
        if (r[j + 1] > MAX_ID - (count - 1)) throw bad(`run ${j / 4}'s seqs pass ${MAX_ID}`);
      }
      break;
    }
    default:
      throw new ProtocolError('unknown-type', `unknown broker frame type "${String((frame as { type: unknown }).type)}"`);
  }
  if (size > max) throw new ProtocolError('frame-too-large', `broker frame of ${size} bytes exceeds maxFrameBytes ${max}`);

  const out = Buffer.allocUnsafe(4 + size);
  out.writeUInt32BE(size, 0);
  const w = new Writer(out, 4);
  w.u8(OPCODES[frame.type]);
  switch (frame.type) {
    case 'hello':
      w.u8(frame.version);
      w.u8(textBytes);
      w.str(frame.lbId, textBytes);
      break;
    case 'create':
      w.u32(frame.rid);
      break;
    case 'publish':
      w.u32(frame.rid);
      w.i64(frame.id);
      w.u16(topicBytes);
      w.str(frame.topic, topicBytes);
      w.u32(msgBytes);
      w.str(frame.msg, msgBytes);
      break;
    case 'subscribe':
    case 'unsubscribe':
      w.u32(frame.rid);
      w.i64(frame.id);
      w.u16(topicBytes);
      w.str(frame.topic, topicBytes);
      break;
    case 'recv':
      w.u32(frame.rid);
      w.i64(frame.id);
      w.u8((frame.wait ? FLAG_WAIT : 0) | (frame.timeoutMs !== undefined ? FLAG_TIMEOUT : 0));
      w.u32(frame.timeoutMs ?? 0);
      break;
    case 'destroy':
      w.u32(frame.rid);
      w.i64(frame.id);
      break;
    case 'ack':
      w.i64(frame.id);
      w.i64(frame.seq);
      break;
    case 'reply':
      w.u32(frame.rid);
      w.i64(frame.status);
      w.u16(textBytes);
      w.str(frame.description, textBytes);
      w.u8((frame.id !== undefined ? FLAG_ID : 0) | (frame.delivery !== undefined ? FLAG_DELIVERY : 0));
      if (frame.id !== undefined) w.i64(frame.id);
      if (frame.delivery !== undefined) {
        w.u16(topicBytes);
        w.str(frame.delivery.topic, topicBytes);
        w.u32(msgBytes);
        w.str(frame.delivery.msg, msgBytes);
        w.i64(frame.delivery.seq);
      }
      break;
    case 'error':
      w.u32(frame.rid);
      w.i64(frame.code);
      w.u16(textBytes);
      w.str(frame.description, textBytes);
      break;
    case 'deliver':
      w.i64(frame.id);
      w.i64(frame.seq);
      w.u16(topicBytes);
      w.str(frame.topic, topicBytes);
      w.u32(msgBytes);
      w.str(frame.msg, msgBytes);
      break;
    case 'fanout':
      w.u16(topicBytes);
      w.str(frame.topic, topicBytes);
      w.u32(msgBytes);
      w.str(frame.msg, msgBytes);
      w.u16(frame.to.length);
      for (const t of frame.to) {
        w.i64(t.id);
        w.i64(t.seq);
      }
      break;
    case 'publish-batch':
      w.u32(frame.rid);
      w.i64(frame.id);
      w.u16(topicBytes);
      w.str(frame.topic, topicBytes);
      w.u32(frame.msgs.length);
      for (let i = 0; i < frame.msgs.length; i++) {
        w.u32(lens[i]);
        w.str(frame.msgs[i], lens[i]);
      }
      break;
    case 'reply-batch':
      w.u32(frame.rid);
      w.u32(frame.runs.length);
      for (let i = 0; i < frame.runs.length; i++) {
        const r = frame.runs[i];
        w.u32(r.count);
        w.i64(r.status);
        w.u16(lens[i]);
        w.str(r.description, lens[i]);
      }
      break;
    case 'deliver-batch': {
      const msgs = frame.msgs;
      writeTopicsAndMsgs(w, frame.topics, msgs, lens, (i) => {
        const to = msgs[i].to;
        w.u32(to.length / 2);
        for (let j = 0; j < to.length; j++) w.i64(to[j]);
      });
      break;
    }
    case 'deliver-runs': {
      writeTopicsAndMsgs(w, frame.topics, frame.msgs, lens, null);
      const r = frame.runs;
      w.u32(r.length / 4);
      for (let j = 0; j < r.length; j += 4) {
        w.i64(r[j]);
        w.i64(r[j + 1]);
        w.u32(r[j + 2]);
        w.u32(r[j + 3]);
      }
      break;
    }
  }
  return out;
}
