// The CLI <-> local broker contract (broker.md §6.1): one JSON object per line.
//   request: {rid, op, id?, topic?, msg?, wait?, timeoutMs?}
//   reply:   {rid, status, description, id?, topic?, msg?, seq?}
// Decoding checks the SHAPE strictly (JSON object, known op, field types, no unknown or misplaced
// keys) and throws ProtocolError (-> PROTOCOL_ERROR). Value RULES (id range, topic charset, message
// size, timeout range) are left to validateRequest() in limits.ts, which yields -2/-3/-4 replies.
// Lines are framed by protocols/framing/lines (no newline is added here).

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { BROKER_OPS, MAX_RID, type BrokerOp, type BrokerReply, type BrokerRequest } from './types.ts';

const FIELDS: Record<BrokerOp, readonly string[]> = {
  create: [],
  publish: ['id', 'topic', 'msg'],
  subscribe: ['id', 'topic'],
  unsubscribe: ['id', 'topic'],
  recv: ['id', 'wait', 'timeoutMs'],
  destroy: ['id'],
};
const REQUIRED: Record<BrokerOp, readonly string[]> = {
  create: [],
  publish: ['id', 'topic', 'msg'],
  subscribe: ['id', 'topic'],
  unsubscribe: ['id', 'topic'],
  recv: ['id'],
  destroy: ['id'],
};

/** Parses one line as a JSON object (the streaming lines of json-stream.ts share it). */
export function parseObject(line: string | Uint8Array, what: string): Record<string, unknown> {
  const text = typeof line === 'string' ? line : Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String((e as Error).message));
    throw new ProtocolError('malformed', `${what} is not valid JSON`, m === null ? undefined : Buffer.byteLength(text.slice(0, Number(m[1]))));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('malformed', `${what} must be a JSON object`, 0);
  }
  return value as Record<string, unknown>;
}

function field(what: string, detail: string): ProtocolError {
  return new ProtocolError('invalid-field', `${what}: ${detail}`);
}

function ridOf(o: Record<string, unknown>, what: string): number {
  const rid = o.rid;
  if (typeof rid !== 'number' || !Number.isInteger(rid) || rid < 1 || rid > MAX_RID) {
    throw field(what, `"rid" must be an integer in 1..${MAX_RID}`);
  }
  return rid;
}

/** Parse one request line. Throws ProtocolError on a shape error. */
export function decodeJsonRequest(line: string | Uint8Array): BrokerRequest {
  return requestFromObject(parseObject(line, 'broker request'));
}

/** A request from an already parsed line object. Throws ProtocolError on a shape error. */
export function requestFromObject(o: Record<string, unknown>): BrokerRequest {
  const what = 'broker request';
  const rid = ridOf(o, what);
  const op = o.op;
  if (typeof op !== 'string' || !(BROKER_OPS as readonly string[]).includes(op)) {
    throw new ProtocolError('unknown-type', `${what}: unknown op ${JSON.stringify(op)} (expected one of ${BROKER_OPS.join(', ')})`);
  }
  const kind = op as BrokerOp;
  const allowed = FIELDS[kind];
  for (const key of Object.keys(o)) {
    if (key !== 'rid' && key !== 'op' && !allowed.includes(key)) throw field(what, `unexpected key "${key}" for op "${kind}"`);
  }
  for (const key of REQUIRED[kind]) if (!Object.hasOwn(o, key)) throw field(what, `op "${kind}" needs "${key}"`);
  if (Object.hasOwn(o, 'id') && (typeof o.id !== 'number' || !Number.isFinite(o.id))) throw field(what, '"id" must be a number');
  if (Object.hasOwn(o, 'topic') && typeof o.topic !== 'string') throw field(what, '"topic" must be a string');
  if (Object.hasOwn(o, 'msg') && typeof o.msg !== 'string') throw field(what, '"msg" must be a string');
  if (Object.hasOwn(o, 'wait') && typeof o.wait !== 'boolean') throw field(what, '"wait" must be a boolean');
  if (Object.hasOwn(o, 'timeoutMs') && (typeof o.timeoutMs !== 'number' || !Number.isFinite(o.timeoutMs))) {
    throw field(what, '"timeoutMs" must be a number');
  }
  const id = o.id as number;
  switch (kind) {
    case 'create':
      return { type: kind, rid };
    case 'publish':
      return { type: kind, rid, id, topic: o.topic as string, msg: o.msg as string };
    case 'subscribe':
    case 'unsubscribe':
      return { type: kind, rid, id, topic: o.topic as string };
    case 'recv':
      return o.timeoutMs === undefined
        ? { type: kind, rid, id, wait: o.wait === true }
        : { type: kind, rid, id, wait: o.wait === true, timeoutMs: o.timeoutMs as number };
    case 'destroy':
      return { type: kind, rid, id };
  }
}

/** One request line (no newline). */
export function encodeJsonRequest(req: BrokerRequest): string {
  const o: Record<string, unknown> = { rid: req.rid, op: req.type };
  switch (req.type) {
    case 'create':
      break;
    case 'publish':
      o.id = req.id;
      o.topic = req.topic;
      o.msg = req.msg;
      break;
    case 'subscribe':
    case 'unsubscribe':
      o.id = req.id;
      o.topic = req.topic;
      break;
    case 'recv':
      o.id = req.id;
      if (req.wait) o.wait = true;
      if (req.timeoutMs !== undefined) o.timeoutMs = req.timeoutMs;
      break;
    case 'destroy':
      o.id = req.id;
      break;
  }
  return JSON.stringify(o);
}

/** The reply object of the API and the CLI's `--json` output: {rid, status, description, id?, topic?, msg?, seq?}. */
export interface JsonReply {
  rid: number;
  status: number;
  description: string;
  id?: number;
  topic?: string;
  msg?: string;
  seq?: number;
}

export function replyToJson(reply: BrokerReply): JsonReply {
  if (reply.type === 'error') return { rid: reply.rid, status: reply.code, description: reply.description };
  const o: JsonReply = { rid: reply.rid, status: reply.status, description: reply.description };
  if (reply.id !== undefined) o.id = reply.id;
  if (reply.delivery !== undefined) {
    o.topic = reply.delivery.topic;
    o.msg = reply.delivery.msg;
    o.seq = reply.delivery.seq;
  }
  return o;
}

/** One reply line (no newline). */
export function encodeJsonReply(reply: BrokerReply): string {
  return JSON.stringify(replyToJson(reply));
}

/** Parse one reply line: status < 0 gives an `error` frame (its description must not be empty). */
export function decodeJsonReply(line: string | Uint8Array): BrokerReply {
  return replyFromObject(parseObject(line, 'broker reply'));
}

/** A reply from an already parsed line object. Throws ProtocolError on a shape error. */
export function replyFromObject(o: Record<string, unknown>): BrokerReply {
  const what = 'broker reply';
  const rid = o.rid;
  if (typeof rid !== 'number' || !Number.isInteger(rid) || rid < 0 || rid > MAX_RID) {
    throw field(what, `"rid" must be an integer in 0..${MAX_RID}`);
  }
  for (const key of Object.keys(o)) {
    if (!['rid', 'status', 'description', 'id', 'topic', 'msg', 'seq'].includes(key)) throw field(what, `unexpected key "${key}"`);
  }
  const status = o.status;
  if (typeof status !== 'number' || !Number.isSafeInteger(status)) throw field(what, '"status" must be an integer');
  if (typeof o.description !== 'string') throw field(what, '"description" must be a string');
  if (status < 0) {
    if (o.description === '') throw field(what, `error ${status} has no description`);
    for (const key of ['id', 'topic', 'msg', 'seq']) if (Object.hasOwn(o, key)) throw field(what, `an error reply cannot carry "${key}"`);
    return { type: 'error', rid, code: status, description: o.description };
  }
  if (rid === 0) throw field(what, 'a success reply needs a request id');
  const reply: BrokerReply = { type: 'reply', rid, status, description: o.description };
  if (Object.hasOwn(o, 'id')) {
    if (typeof o.id !== 'number' || !Number.isSafeInteger(o.id) || o.id < 1) throw field(what, '"id" must be a positive integer');
    reply.id = o.id;
  }
  const parts = ['topic', 'msg', 'seq'].filter((k) => Object.hasOwn(o, k));
  if (parts.length > 0) {
    if (parts.length !== 3) throw field(what, '"topic", "msg" and "seq" come together');
    if (typeof o.topic !== 'string' || typeof o.msg !== 'string') throw field(what, '"topic" and "msg" must be strings');
    if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 0) throw field(what, '"seq" must be a non-negative integer');
    reply.delivery = { topic: o.topic, msg: o.msg, seq: o.seq };
  }
  return reply;
}
