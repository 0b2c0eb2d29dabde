// Broker frame decoder (the "receiver" half): one length32 payload -> one typed frame. Strict: an
// unknown opcode, a truncated field, an out-of-range value, invalid UTF-8, unknown flag bits or
// trailing bytes throw a ProtocolError whose offset is relative to the payload start.

import { Buffer, isUtf8 } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { asBuffer } from '../framing/bytes.ts';
import { MAX_BATCH, RECV_FLAGS, REPLY_FLAGS } from './encode.ts';
import { BROKER_PROTOCOL_VERSION, MAX_ID, OPCODES, type BatchedMessage, type BrokerFrame, type RunMessage, type BrokerFrameType, type StatusRun } from './types.ts';

const TYPES = new Map<number, BrokerFrameType>(Object.entries(OPCODES).map(([k, v]) => [v, k as BrokerFrameType]));
const TWO_32 = 2 ** 32;

class Reader {
  readonly buf: Buffer;
  pos = 0;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new ProtocolError('truncated', `frame ends inside ${what} (${n} bytes needed, ${this.buf.length - this.pos} left)`, this.pos);
    }
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** A 64-bit two's complement integer that must lie in [min, MAX_ID]. */
  i64(what: string, min: number): number {
    this.need(8, what);
    const at = this.pos;
    const hi = this.buf.readInt32BE(at);
    const lo = this.buf.readUInt32BE(at + 4);
    this.pos += 8;
    // safe range is |v| <= 2^53 - 1, i.e. hi in [-2^21, 2^21 - 1]
    if (hi > 0x1f_ffff || hi < -0x20_0000) throw new ProtocolError('invalid-field', `${what} is outside the safe integer range`, at);
    const v = hi * TWO_32 + lo;
    if (v < min || v > MAX_ID || !Number.isSafeInteger(v)) {
      throw new ProtocolError('invalid-field', `${what} ${v} is outside ${min}..${MAX_ID}`, at);
    }
    return v;
  }
  str(n: number, what: string): string {
    this.need(n, what);
    const at = this.pos;
    const bytes = this.buf.subarray(at, at + n);
    this.pos += n;
    if (n === 0) return '';
    // ASCII fast path is inside isUtf8; invalid sequences are a protocol error, never replaced
    if (!isUtf8(bytes)) throw new ProtocolError('invalid-field', `${what} is not valid UTF-8`, at);
    return bytes.toString('utf8');
  }
}

/** Decode one frame payload (without its length prefix). Throws ProtocolError. */
export function decodeBrokerFrame(payload: Uint8Array): BrokerFrame {
  const r = new Reader(asBuffer(payload));
  if (payload.length === 0) throw new ProtocolError('empty-frame', 'broker frame is empty', 0);
  const op = r.u8('opcode');
  const type = TYPES.get(op);
  if (type === undefined) throw new ProtocolError('unknown-type', `unknown broker opcode 0x${op.toString(16).padStart(2, '0')}`, 0);
  let frame: BrokerFrame;
  switch (type) {
    case 'hello': {
      const version = r.u8('version');
      if (version !== BROKER_PROTOCOL_VERSION) {
        throw new ProtocolError('unsupported-version', `broker protocol version ${version} is not supported (expected ${BROKER_PROTOCOL_VERSION})`, 1);
      }
      const n = r.u8('lbId length');
      if (n === 0) throw new ProtocolError('invalid-field', 'lbId is empty', r.pos - 1);
      frame = { type, version, lbId: r.str(n, 'lbId') };
      break;
    }
    case 'create':
      frame = { type, rid: rid(r) };
      break;
    case 'publish': {
      const ridv = rid(r);
      const id = r.i64('id', 1);
      const topic = r.str(r.u16('topic length'), 'topic');
      const msg = r.str(r.u32('message length'), 'message');
      frame = { type, rid: ridv, id, topic, msg };
      break;
    }
    case 'subscribe':
    case 'unsubscribe': {
      const ridv = rid(r);
      const id = r.i64('id', 1);
      frame = { type, rid: ridv, id, topic: r.str(r.u16('topic length'), 'topic') };
      break;
    }
    case 'recv': {
      const ridv = rid(r);
      const id = r.i64('id', 1);
      const flagsAt = r.pos;
      const flags = r.u8('recv flags');
      if ((flags & ~(RECV_FLAGS.wait | RECV_FLAGS.timeout)) !== 0) {
        throw new ProtocolError('invalid-field', `unknown recv flags 0x${flags.toString(16)}`, flagsAt);
      }
      const timeout = r.u32('timeoutMs');
      const hasTimeout = (flags & RECV_FLAGS.timeout) !== 0;
      if (!hasTimeout && timeout !== 0) throw new ProtocolError('invalid-field', 'timeoutMs is set without its flag', flagsAt + 1);
      frame = hasTimeout
        ? { type, rid: ridv, id, wait: (flags & RECV_FLAGS.wait) !== 0, timeoutMs: timeout }
        : { type, rid: ridv, id, wait: (flags & RECV_FLAGS.wait) !== 0 };
      break;
    }
    case 'destroy': {
      const ridv = rid(r);
      frame = { type, rid: ridv, id: r.i64('id', 1) };
      break;
    }
    case 'ack': {
      const id = r.i64('id', 1);
      frame = { type, id, seq: r.i64('seq', 0) };
      break;
    }
    case 'reply': {
      const ridv = rid(r);
      const status = r.i64('status', 0);
      const description = r.str(r.u16('description length'), 'description');
      const flagsAt = r.pos;
      const flags = r.u8('reply flags');
      if ((flags & ~(REPLY_FLAGS.id | REPLY_FLAGS.delivery)) !== 0) {
        throw new ProtocolError('invalid-field', `unknown reply flags 0x${flags.toString(16)}`, flagsAt);
      }
      const reply: BrokerFrame = { type, rid: ridv, status, description };
      if ((flags & REPLY_FLAGS.id) !== 0) reply.id = r.i64('id', 1);
      if ((flags & REPLY_FLAGS.delivery) !== 0) {
        const topic = r.str(r.u16('topic length'), 'topic');
        const msg = r.str(r.u32('message length'), 'message');
        reply.delivery = { topic, msg, seq: r.i64('seq', 0) };
      }
      frame = reply;
      break;
    }
    case 'error': {
      const ridv = r.u32('rid');
      const codeAt = r.pos;
      r.need(8, 'error code');
      const hi = r.buf.readInt32BE(codeAt);
      const lo = r.buf.readUInt32BE(codeAt + 4);
      r.pos += 8;
      const code = hi * TWO_32 + lo;
      if (hi < -0x20_0000 || code >= 0 || !Number.isSafeInteger(code)) {
        throw new ProtocolError('invalid-field', 'error code must be a negative safe integer', codeAt);
      }
      const descAt = r.pos;
      const description = r.str(r.u16('description length'), 'description');
      if (description === '') throw new ProtocolError('invalid-field', `error ${code} has no description`, descAt);
      frame = { type, rid: ridv, code, description };
      break;
    }
    case 'deliver': {
      const id = r.i64('id', 1);
      const seq = r.i64('seq', 0);
      const topic = r.str(r.u16('topic length'), 'topic');
      frame = { type, id, seq, topic, msg: r.str(r.u32('message length'), 'message') };
      break;
    }
    case 'fanout': {
      const topic = r.str(r.u16('topic length'), 'topic');
      const msg = r.str(r.u32('message length'), 'message');
      const countAt = r.pos;
      const n = r.u16('fanout count');
      if (n === 0) throw new ProtocolError('invalid-field', 'fanout names no subscriber', countAt);
      r.need(16 * n, 'fanout subscribers');
      const to = new Array<{ id: number; seq: number }>(n);
      for (let i = 0; i < n; i++) to[i] = { id: r.i64('id', 1), seq: r.i64('seq', 0) };
      frame = { type, topic, msg, to };
      break;
    }
    case 'publish-batch': {
      const ridv = rid(r);
      const id = r.i64('id', 1);
      const topic = r.str(r.u16('topic length'), 'topic');
      const n = count(r, 'publish-batch message count');
      const msgs = new Array<string>(n);
      for (let i = 0; i < n; i++) msgs[i] = r.str(r.u32('message length'), 'message');
      frame = { type, rid: ridv, id, topic, msgs };
      break;
    }
    case 'reply-batch': {
      const ridv = rid(r);
      const n = count(r, 'reply-batch run count');
      const runs = new Array<StatusRun>(n);
      for (let i = 0; i < n; i++) {
        const c = count(r, 'run count');
        const statusAt = r.pos;
        const status = r.i64('status', -MAX_ID);
        const description = r.str(r.u16('description length'), 'description');
        if (status < 0 && description === '') throw new ProtocolError('invalid-field', `error ${status} has no description`, statusAt);
        runs[i] = { count: c, status, description };
      }
      frame = { type, rid: ridv, runs };
      break;
    }
    case 'deliver-batch': {
      const topics = readTopics(r, 'deliver-batch');
      const nt = topics.length;
      const n = count(r, 'deliver-batch message count');
      const msgs = new Array<BatchedMessage>(n);
      for (let i = 0; i < n; i++) {
        const t = topicIndex(r, nt);
        const msg = r.str(r.u32('message length'), 'message');
        const pairs = count(r, 'subscriber count');
        r.need(16 * pairs, 'subscribers');
        const to = new Array<number>(2 * pairs);
        for (let j = 0; j < to.length; j += 2) {
          to[j] = r.i64('id', 1);
          to[j + 1] = r.i64('seq', 0);
        }
        msgs[i] = { topic: t, msg, to };
      }
      frame = { type, topics, msgs };
      break;
    }
    case 'deliver-runs': {
      const topics = readTopics(r, 'deliver-runs');
      const nt = topics.length;
      const n = count(r, 'deliver-runs message count');
      const msgs = new Array<RunMessage>(n);
      for (let i = 0; i < n; i++) {
        const t = topicIndex(r, nt);
        msgs[i] = { topic: t, msg: r.str(r.u32('message length'), 'message') };
      }
      const k = count(r, 'deliver-runs run count');
      r.need(24 * k, 'runs');
      const runs = new Array<number>(4 * k);
      for (let j = 0; j < runs.length; j += 4) {
        const at = r.pos;
        runs[j] = r.i64('id', 1);
        const seq = (runs[j + 1] = r.i64('seq', 0));
        const first = (runs[j + 2] = r.u32('first message'));
        const c = (runs[j + 3] = r.u32('run length'));
        if (c < 1 || first + c > n) throw new ProtocolError('invalid-field', `run ${j / 4} names messages ${first}..${first + c - 1}; the frame has ${n}`, at);
        if (seq > MAX_ID - (c - 1)) throw new ProtocolError('invalid-field', `run ${j / 4}'s seqs pass ${MAX_ID}`, at);
      }
      frame = { type, topics, msgs, runs };
      break;
    }
  }
  if (r.pos !== payload.length) {
    throw new ProtocolError('trailing-bytes', `${payload.length - r.pos} bytes after the end of a ${type} frame`, r.pos);
  }
  return frame;
}

/** A batch's u32 count, 1..MAX_BATCH. */
/** The topic table of a deliver-batch or deliver-runs frame: at least one topic. */
function readTopics(r: Reader, type: string): string[] {
  const at = r.pos;
  const nt = r.u16('topic count');
  if (nt === 0) throw new ProtocolError('invalid-field', `${type} names no topic`, at);
  const topics = new Array<string>(nt);
  for (let i = 0; i < nt; i++) topics[i] = r.str(r.u16('topic length'), 'topic');
  return topics;
}

/** A message's index into its frame's topic table. */
function topicIndex(r: Reader, nt: number): number {
  const at = r.pos;
  const t = r.u16('topic index');
  if (t >= nt) throw new ProtocolError('invalid-field', `topic index ${t} is outside the frame's ${nt} topics`, at);
  return t;
}

function count(r: Reader, what: string): number {
  const at = r.pos;
  const n = r.u32(what);
  if (n < 1 || n > MAX_BATCH) throw new ProtocolError('invalid-field', `${what} ${n} is outside 1..${MAX_BATCH}`, at);
  return n;
}

function rid(r: Reader): number {
  const at = r.pos;
  const v = r.u32('rid');
  if (v === 0) throw new ProtocolError('invalid-field', 'rid 0 is reserved for errors not tied to a request', at);
  return v;
}
