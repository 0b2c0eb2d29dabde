// Streaming receive on the client <-> local broker socket (an addition to broker.md §6.1; recv is
// unchanged). A client opens a stream of pushes for one id with a credit window, the local broker
// pushes batches while fewer than `credit` messages are unacknowledged, and the client acks
// cumulatively once it has consumed them. One JSON object per line, as the rest of the socket:
//   client -> LB  {rid, op:"stream", id, credit, binary?}  one reply line: status 0 (open) or an error;
//                                                    binary: true asks for the messages as binary
//                                                    runs (stream-binary.ts) instead of batch lines
//                 {rid, op:"ack", seq, close?}        rid = the stream's rid; no reply
//   LB -> client  {stream: rid, msgs: [[topic, msg, seq], ...]}
//                 {stream: rid, topic, seq, msgs: [msg, ...]}   one topic, seqs seq, seq+1, ... (the usual batch)
//                 {stream: rid, end: code, description}   the broker ended the stream (code < 0)
// Shape errors throw ProtocolError (-> -9); value rules (id, credit range) are checked by the LB.

import { ProtocolError } from '../errors.ts';
import { batchReplyFromObject, publishBatchFromObject, type BatchReply, type PublishBatch } from './json-batch.ts';
import { parseObject, replyFromObject, requestFromObject } from './json.ts';
import { MAX_RID, type BrokerReply, type BrokerRequest, type Delivery } from './types.ts';

/** Largest credit window a stream may ask for. */
export const MAX_STREAM_CREDIT = 65_536;

export interface StreamOpen {
  type: 'stream';
  rid: number;
  id: number;
  credit: number;
  /** The messages come as binary runs (stream-binary.ts), not batch lines. */
  binary?: boolean;
}
/** Cumulative: everything of the stream up to `seq` was consumed; `close` ends the stream. */
export interface StreamAck {
  type: 'ack';
  rid: number;
  seq: number;
  close: boolean;
}
export type StreamControl = StreamOpen | StreamAck;

export interface StreamBatch {
  type: 'batch';
  stream: number;
  msgs: Delivery[];
}
export interface StreamEnd {
  type: 'end';
  stream: number;
  code: number;
  description: string;
}

function field(what: string, detail: string): ProtocolError {
  return new ProtocolError('invalid-field', `${what}: ${detail}`);
}

function int(o: Record<string, unknown>, key: string, what: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw field(what, `"${key}" must be an integer in ${min}..${max}`);
  return v;
}

function onlyKeys(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw field(what, `unexpected key "${k}"`);
}

/** One client line: a request of §6.1, a stream control or a publish batch. Throws ProtocolError on a shape error. */
export function decodeClientLine(line: string | Uint8Array): BrokerRequest | StreamControl | PublishBatch {
  const o = parseObject(line, 'broker request');
  if (o.op === 'publish-batch') return publishBatchFromObject(o);
  if (o.op === 'stream') {
    const what = 'broker stream request';
    onlyKeys(o, ['rid', 'op', 'id', 'credit', 'binary'], what);
    const rid = int(o, 'rid', what, 1, MAX_RID);
    if (typeof o.id !== 'number' || !Number.isFinite(o.id)) throw field(what, '"id" must be a number');
    if (typeof o.credit !== 'number' || !Number.isFinite(o.credit)) throw field(what, '"credit" must be a number');
    if (Object.hasOwn(o, 'binary') && typeof o.binary !== 'boolean') throw field(what, '"binary" must be a boolean');
    return o.binary === true ? { type: 'stream', rid, id: o.id, credit: o.credit, binary: true } : { type: 'stream', rid, id: o.id, credit: o.credit };
  }
  if (o.op === 'ack') {
    const what = 'broker stream ack';
    onlyKeys(o, ['rid', 'op', 'seq', 'close'], what);
    if (Object.hasOwn(o, 'close') && typeof o.close !== 'boolean') throw field(what, '"close" must be a boolean');
    return { type: 'ack', rid: int(o, 'rid', what, 1, MAX_RID), seq: int(o, 'seq', what, 0, Number.MAX_SAFE_INTEGER), close: o.close === true };
  }
  return requestFromObject(o);
}

export function encodeStreamOpen(s: Omit<StreamOpen, 'type'>): string {
  return JSON.stringify(s.binary ? { rid: s.rid, op: 'stream', id: s.id, credit: s.credit, binary: true } : { rid: s.rid, op: 'stream', id: s.id, credit: s.credit });
}

export function encodeStreamAck(a: Omit<StreamAck, 'type'>): string {
  return JSON.stringify(a.close ? { rid: a.rid, op: 'ack', seq: a.seq, close: true } : { rid: a.rid, op: 'ack', seq: a.seq });
}

/**
 * One batch line (no newline). A batch of one topic with consecutive seqs (the usual case) names
 * the topic and the first seq once and lists the texts; any other is [topic, msg, seq] tuples.
 */
export function encodeStreamBatch(stream: number, msgs: readonly Delivery[]): string {
  const n = msgs.length;
  if (n > 0) {
    const topic = msgs[0].topic;
    const seq = msgs[0].seq;
    const texts = new Array<string>(n);
    let i = 0;
    for (; i < n; i++) {
      const d = msgs[i];
      if (d.topic !== topic || d.seq !== seq + i) break;
      texts[i] = d.msg;
    }
    if (i === n) return JSON.stringify({ stream, topic, seq, msgs: texts });
  }
  const tuples = new Array<[string, string, number]>(msgs.length);
  for (let i = 0; i < msgs.length; i++) tuples[i] = [msgs[i].topic, msgs[i].msg, msgs[i].seq];
  return JSON.stringify({ stream, msgs: tuples });
}

export function encodeStreamEnd(stream: number, code: number, description: string): string {
  return JSON.stringify({ stream, end: code, description });
}

/** One local-broker line: a reply of §6.1, a stream batch, a stream end or a publish batch's replies. */
export function decodeLbLine(line: string | Uint8Array): BrokerReply | StreamBatch | StreamEnd | BatchReply {
  const o = parseObject(line, 'broker reply');
  if (Object.hasOwn(o, 'batch')) return batchReplyFromObject(o);
  if (!Object.hasOwn(o, 'stream')) return replyFromObject(o);
  const what = 'broker stream line';
  const stream = int(o, 'stream', what, 1, MAX_RID);
  if (Object.hasOwn(o, 'end')) {
    onlyKeys(o, ['stream', 'end', 'description'], what);
    const code = int(o, 'end', what, Number.MIN_SAFE_INTEGER, -1);
    if (typeof o.description !== 'string' || o.description === '') throw field(what, '"description" must be a non-empty string');
    return { type: 'end', stream, code, description: o.description };
  }
  if (!Array.isArray(o.msgs)) throw field(what, '"msgs" must be an array');
  if (Object.hasOwn(o, 'topic')) {
    onlyKeys(o, ['stream', 'topic', 'seq', 'msgs'], what);
    const texts = o.msgs as unknown[];
    if (typeof o.topic !== 'string') throw field(what, '"topic" must be a string');
    const topic = o.topic;
    const seq = int(o, 'seq', what, 0, Number.MAX_SAFE_INTEGER - Math.max(0, texts.length - 1));
    const msgs: Delivery[] = new Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const msg = texts[i];
      if (typeof msg !== 'string') throw field(what, `message ${i} must be a string`);
      msgs[i] = { topic, msg, seq: seq + i };
    }
    return { type: 'batch', stream, msgs };
  }
  onlyKeys(o, ['stream', 'msgs'], what);
  const msgs: Delivery[] = new Array(o.msgs.length);
  for (let i = 0; i < o.msgs.length; i++) {
    const t: unknown = o.msgs[i];
    if (!Array.isArray(t) || t.length !== 3 || typeof t[0] !== 'string' || typeof t[1] !== 'string' || typeof t[2] !== 'number' || !Number.isSafeInteger(t[2]) || t[2] < 0) {
      throw field(what, `message ${i} must be [topic, msg, seq]`);
    }
    msgs[i] = { topic: t[0], msg: t[1], seq: t[2] };
  }
  return { type: 'batch', stream, msgs };
}
