// Publish batches on the client <-> local broker socket (an addition to broker.md §6.1, like the
// stream lines): consecutive publishes of one id to one topic travel as one line, and their
// replies come back as one line. Each publish in a batch is still its own operation (its own rid,
// its own atomic fan-out, its own status), applied in order; the batch is only framing.
//   client -> LB  {rid, op:"publish-batch", id, topic, msgs:[m1, ..., mn]}   the publishes have rids rid .. rid+n-1
//   LB -> client  {batch: rid, status:[s1, ..., sn], errors?:[[i, description], ...]}
// `errors` names the description of every negative status (by index); a success has none on this
// line (a plain publish reply carries it). Shape errors throw ProtocolError (-> -9).

import { ProtocolError } from '../errors.ts';
import { MAX_RID } from './types.ts';

/** Most publishes one batch line may carry. */
export const MAX_PUBLISH_BATCH = 4096;

export interface PublishBatch {
  type: 'publish-batch';
  /** The first publish's rid; the i-th has rid + i. */
  rid: number;
  id: number;
  topic: string;
  msgs: string[];
}

export interface BatchReply {
  type: 'batch-reply';
  batch: number;
  status: number[];
  /** Descriptions of the failed publishes, by index. */
  errors: [number, string][];
}

function field(what: string, detail: string): ProtocolError {
  return new ProtocolError('invalid-field', `${what}: ${detail}`);
}

export function encodePublishBatch(b: Omit<PublishBatch, 'type'>): string {
  return JSON.stringify({ rid: b.rid, op: 'publish-batch', id: b.id, topic: b.topic, msgs: b.msgs });
}

/** A parsed `publish-batch` line object (decodeClientLine dispatches here). */
export function publishBatchFromObject(o: Record<string, unknown>): PublishBatch {
  const what = 'broker publish batch';
  for (const k of Object.keys(o)) if (k !== 'rid' && k !== 'op' && k !== 'id' && k !== 'topic' && k !== 'msgs') throw field(what, `unexpected key "${k}"`);
  const msgs = o.msgs;
  if (!Array.isArray(msgs) || msgs.length < 1 || msgs.length > MAX_PUBLISH_BATCH) throw field(what, `"msgs" must be an array of 1..${MAX_PUBLISH_BATCH} strings`);
  for (let i = 0; i < msgs.length; i++) if (typeof msgs[i] !== 'string') throw field(what, `message ${i} must be a string`);
  const rid = o.rid;
  if (typeof rid !== 'number' || !Number.isInteger(rid) || rid < 1 || rid + msgs.length - 1 > MAX_RID) {
    throw field(what, `"rid" must be an integer with rid .. rid+${msgs.length - 1} in 1..${MAX_RID}`);
  }
  if (typeof o.id !== 'number' || !Number.isFinite(o.id)) throw field(what, '"id" must be a number');
  if (typeof o.topic !== 'string') throw field(what, '"topic" must be a string');
  return { type: 'publish-batch', rid, id: o.id, topic: o.topic, msgs: msgs as string[] };
}

export function encodeBatchReply(r: Omit<BatchReply, 'type'>): string {
  return JSON.stringify(r.errors.length === 0 ? { batch: r.batch, status: r.status } : { batch: r.batch, status: r.status, errors: r.errors });
}

/** A parsed line object that has a `batch` key (decodeLbLine dispatches here). */
export function batchReplyFromObject(o: Record<string, unknown>): BatchReply {
  const what = 'broker batch reply';
  for (const k of Object.keys(o)) if (k !== 'batch' && k !== 'status' && k !== 'errors') throw field(what, `unexpected key "${k}"`);
  const batch = o.batch;
  if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 1 || batch > MAX_RID) throw field(what, `"batch" must be an integer in 1..${MAX_RID}`);
  const status = o.status;
  if (!Array.isArray(status) || status.length < 1) throw field(what, '"status" must be a non-empty array');
  for (let i = 0; i < status.length; i++) if (typeof status[i] !== 'number' || !Number.isSafeInteger(status[i])) throw field(what, `status ${i} must be an integer`);
  const errors: [number, string][] = [];
  if (Object.hasOwn(o, 'errors')) {
    if (!Array.isArray(o.errors)) throw field(what, '"errors" must be an array');
    for (const e of o.errors as unknown[]) {
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'number' || typeof e[1] !== 'string' || e[1] === '') throw field(what, 'each error must be [index, description]');
      const i = e[0];
      if (!Number.isInteger(i) || i < 0 || i >= status.length || (status[i] as number) >= 0) throw field(what, `error index ${i} does not name a failed publish`);
      errors.push([i, e[1]]);
    }
  }
  for (let i = 0; i < status.length; i++) {
    if ((status[i] as number) < 0 && !errors.some((e) => e[0] === i)) throw field(what, `failed publish ${i} has no description`);
  }
  return { type: 'batch-reply', batch, status: status as number[], errors };
}
