// The broker server's operations (broker.md §2, D1-D6) over ServerState, with group commit: the
// requests that arrive within one event-loop turn are applied in order inside one transaction,
// and their replies (then the pushes they cause) are sent only after it commits. A failed write
// answers -7 to the whole group and stops the node (fail-stop, §7.7). A publish batch is one
// request (one rid, one reply-batch) holding many publishes, each applied as its own operation.

import { Buffer } from 'node:buffer';
import {
  BROKER_ERRORS as E,
  validateId,
  validateMessage,
  validateRequest,
  validateTopic,
  type BrokerReply,
  type BrokerRequest,
  type PublishBatchFrame,
  type ReplyBatchFrame,
  type StatusRun,
} from '../../../protocols/broker/index.ts';
import type { ServerLimits } from '../limits.ts';
import { DeliveryBatcher, type LbSink } from './deliveries.ts';
import { PublishPacer } from './pacing.ts';
import type { Journal } from './journal.ts';
import { ServerState, type Client, type Msg, type Topic } from './state.ts';

export type { LbSink } from './deliveries.ts';

type LinkRequest = BrokerRequest | PublishBatchFrame;
type LinkReply = BrokerReply | ReplyBatchFrame;

type Op =
  | { kind: 'req'; lb: string; req: LinkRequest; sink: LbSink }
  | { kind: 'consumed'; lb: string; gid: number; seq: number };

/** Replies remembered per local broker for `rid` de-duplication (a batch's reply counts once). */
const RID_MEMORY = 10_000;

export interface CoreOptions {
  limits: ServerLimits;
  pushWindow: number;
  /** Called once when a durable write failed: the node must stop (non-zero exit). */
  onFatal(err: Error): void;
}

export class BrokerCore {
  readonly state: ServerState;
  readonly #journal: Journal;
  readonly #o: CoreOptions;
  readonly #sinks = new Map<string, LbSink>();
  #batch: Op[] = [];
  #scheduled = false;
  #failed: Error | null = null;
  #dirty = new Set<Client>();
  /** Payloads no queue references any more, deleted from the store at the end of the group. */
  #freed: number[] = [];
  /** Pushes gathered in this turn, sent as one deliver-runs frame (or a few) per LB. */
  readonly #out: DeliveryBatcher;
  /** Holds publish replies while a subscriber queue they reached is long (pacing.ts). */
  readonly pacer: PublishPacer;
  /** The description of the last negative status #publishOne returned. */
  #why = '';
  /** Counters for inspection and the benchmark. */
  readonly stats = { commits: 0, ops: 0, pushes: 0 };

  constructor(journal: Journal, options: CoreOptions, defaultTopics: readonly string[]) {
    this.#journal = journal;
    this.#o = options;
    this.#out = new DeliveryBatcher(options.limits.maxFrameBytes);
    // long = more than four push windows behind; a group waits at most 50 ms
    this.pacer = new PublishPacer(Math.max(4 * options.pushWindow, 64), 50);
    this.state = ServerState.from(journal.load());
    const missing = defaultTopics.filter((t) => !this.state.topics.has(t));
    if (missing.length > 0) {
      journal.begin();
      for (const name of missing) journal.addTopic(this.state.addTopic(this.state.nextTid, name).tid, name);
      journal.commit();
    }
  }

  get failed(): Error | null {
    return this.#failed;
  }

  /** A link said hello: pushes restart from the oldest unconsumed message of each of its gids. */
  attach(lb: string, sink: LbSink): void {
    this.#sinks.set(lb, sink);
    for (const gid of this.state.byLb.get(lb) ?? []) {
      const c = this.state.clients.get(gid) as Client;
      c.next = c.head;
      this.#pump(c);
    }
    this.#out.send();
  }

  detach(lb: string, sink: LbSink): void {
    if (this.#sinks.get(lb) === sink) this.#sinks.delete(lb);
  }

  request(lb: string, req: LinkRequest, sink: LbSink): void {
    if (this.#failed) return sink.reply(err(req.rid, E.STORAGE_ERROR, `the broker server stopped after a failed write: ${this.#failed.message}`));
    this.#enqueue({ kind: 'req', lb, req, sink });
  }

  consumed(lb: string, gid: number, seq: number): void {
    if (!this.#failed) this.#enqueue({ kind: 'consumed', lb, gid, seq });
  }

  #enqueue(op: Op): void {
    this.#batch.push(op);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Applies the pending group in one transaction, then replies and pushes. */
  flush(): void {
    this.#scheduled = false;
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length === 0) return;
    const replies: (LinkReply | null)[] = [];
    /** Messages below this id were committed by earlier groups (commits are synchronous). */
    const firstMid = this.state.nextMid;
    try {
      // a group of `consumed` marks only acknowledges nothing: it needs no sync of its own
      this.#journal.begin(!batch.some((op) => op.kind === 'req'));
      for (const op of batch) replies.push(op.kind === 'req' ? this.#apply(op.lb, op.req) : (this.#consume(op.lb, op.gid, op.seq), null));
      if (this.#freed.length > 0) this.#journal.deletePayloads(this.#freed.sort((a, b) => a - b));
      this.#freed = [];
      // the window room this group's consumed marks opened is filled with messages already on disk
      // before the (blocking) sync, so subscribers get them meanwhile; at worst a crash before the
      // commit loses the marks and those messages come again with the same seqs (at least once)
      if (this.#journal.durable) this.#pushCommitted(firstMid);
      this.#journal.commit();
    } catch (e) {
      this.#freed = [];
      this.#journal.rollback();
      this.#failed = e instanceof Error ? e : new Error(String(e));
      const storage = (e as { code?: string }).code === 'ERR_SQLITE_ERROR';
      for (const op of batch) {
        if (op.kind === 'req') {
          op.sink.reply(storage
            ? err(op.req.rid, E.STORAGE_ERROR, `commit failed: ${this.#failed.message}; nothing was applied`)
            : err(op.req.rid, E.INTERNAL, `internal error: ${this.#failed.message}; nothing was applied`));
        }
      }
      this.#o.onFatal(this.#failed);
      return;
    }
    this.stats.commits++;
    this.stats.ops += batch.length;
    const pacer = this.pacer;
    const hold = pacer.holding;
    for (let i = 0; i < batch.length; i++) {
      const op = batch[i];
      if (op.kind !== 'req') continue;
      const reply = replies[i] as LinkReply;
      // only successes wait: a -5 (or any failure) in a batch answers at once
      const paced = hold && (reply.type === 'reply' ? op.req.type === 'publish' : reply.type === 'reply-batch' && reply.runs.every((r) => r.status >= 0));
      if (paced) pacer.hold(op.sink, reply);
      else op.sink.reply(reply);
    }
    pacer.settle((c) => this.state.clients.get(c.gid) === c);
    for (const c of this.#dirty) this.#pump(c);
    this.#dirty.clear();
    this.#out.send();
    // the group runs in a setImmediate: its replies and pushes leave now, not one loop iteration later
    for (const sink of this.#sinks.values()) sink.flush?.();
  }

  #apply(lb: string, req: LinkRequest): LinkReply {
    const seen = this.state.rids.get(lb)?.get(req.rid);
    if (seen !== undefined) return typeof seen === 'string' ? (JSON.parse(seen) as LinkReply) : { ...seen, rid: req.rid };
    const reply = req.type === 'publish-batch' ? this.#publishBatch(lb, req) : this.#execute(lb, req);
    if (reply.type !== 'error') this.#remember(lb, req.rid, reply);
    return reply;
  }

  #remember(lb: string, rid: number, reply: LinkReply): void {
    const m = this.state.ridsOf(lb);
    // kept as the object in memory; only a durable journal pays for its JSON
    m.set(rid, reply);
    if (this.#journal.durable) this.#journal.remember(lb, rid, JSON.stringify(reply));
    if (m.size > RID_MEMORY * 1.2) {
      const keep = [...m.keys()].sort((a, b) => a - b).slice(-RID_MEMORY);
      const low = keep[0];
      for (const k of m.keys()) if (k < low) m.delete(k);
      this.#journal.forgetRidsBelow(lb, low);
    }
  }

  #execute(lb: string, req: BrokerRequest): BrokerReply {
    const limits = this.#o.limits;
    const bad = validateRequest(req, limits);
    if (bad) return err(req.rid, bad.code, bad.description);
    const s = this.state;
    if (req.type === 'create') {
      if (s.clients.size >= limits.maxClients) return err(req.rid, E.LIMIT_REACHED, `the server has ${s.clients.size} ids (limit maxClients ${limits.maxClients})`);
      const gid = s.nextGid++;
      this.#journal.setMeta('nextGid', s.nextGid);
      s.addClient(gid, lb);
      this.#journal.addClient(gid, lb);
      return { type: 'reply', rid: req.rid, status: gid, description: `created id ${gid}`, id: gid };
    }
    if (req.type === 'recv') return err(req.rid, E.PROTOCOL_ERROR, 'recv is served by the local broker and never reaches the server');
    const c = s.clients.get(req.id);
    if (!c || c.lb !== lb) return err(req.rid, E.UNKNOWN_ID, `id ${req.id} is not registered at this local broker`);
    switch (req.type) {
      case 'publish':
        return this.#publish(req.rid, c, req.topic, req.msg);
      case 'subscribe': {
        const known = s.topics.get(req.topic);
        if (known && c.topics.has(known)) return ok(req.rid, 1, `id ${c.gid} was already subscribed to ${req.topic}`);
        if (c.topics.size >= limits.maxSubscriptionsPerClient) {
          return err(req.rid, E.LIMIT_REACHED, `id has ${c.topics.size} subscriptions (limit maxSubscriptionsPerClient ${limits.maxSubscriptionsPerClient})`);
        }
        const t = known ?? this.#newTopic(req.topic);
        if (!t) return this.#topicLimit(req.rid);
        t.subs.add(c.gid);
        t.members = null;
        c.topics.add(t);
        this.#journal.addSub(t.tid, c.gid);
        return ok(req.rid, 0, `subscribed to ${req.topic}`);
      }
      case 'unsubscribe': {
        const t = s.topics.get(req.topic);
        if (!t || !c.topics.has(t)) return ok(req.rid, 1, `id was not subscribed to ${req.topic}`);
        t.subs.delete(c.gid);
        t.members = null;
        c.topics.delete(t);
        this.#journal.deleteSub(t.tid, c.gid);
        this.#purge(c, t);
        return ok(req.rid, 0, `unsubscribed from ${req.topic}`);
      }
      case 'destroy':
        for (let i = c.head; i < c.msgs.length; i++) this.#unref(c.msgs[i]);
        s.removeClient(c);
        this.#journal.deleteClient(c.gid);
        return ok(req.rid, 0, `destroyed id ${c.gid}`);
    }
  }

  #publish(rid: number, c: Client, name: string, msg: string): BrokerReply {
    const t = this.state.topics.get(name) ?? this.#newTopic(name);
    if (!t) return this.#topicLimit(rid);
    if (t.subs.size === 0) return ok(rid, 0, 'published to 0 subscribers (the message is dropped: no retention)');
    const status = this.#publishOne(t, msg);
    return status < 0 ? err(rid, status, this.#why) : ok(rid, status, published(status));
  }

  /** n publishes of one id to one topic: each checked, queued and counted as a single publish would be. */
  #publishBatch(lb: string, b: PublishBatchFrame): ReplyBatchFrame | BrokerReply {
    const n = b.msgs.length;
    const all = (status: number, description: string): ReplyBatchFrame => ({ type: 'reply-batch', rid: b.rid, runs: [{ count: n, status, description }] });
    const bad = validateId(b.id) ?? validateTopic(b.topic, this.#o.limits);
    if (bad) return all(bad.code, bad.description);
    const c = this.state.clients.get(b.id);
    if (!c || c.lb !== lb) return all(E.UNKNOWN_ID, `id ${b.id} is not registered at this local broker`);
    const t = this.state.topics.get(b.topic) ?? this.#newTopic(b.topic);
    if (!t) return all(E.LIMIT_REACHED, this.#topicLimit(b.rid).description);
    const runs: StatusRun[] = [];
    let last: StatusRun | null = null;
    for (let i = 0; i < n; i++) {
      const msg = b.msgs[i];
      const badMsg = validateMessage(msg, this.#o.limits);
      const status = badMsg ? badMsg.code : t.subs.size === 0 ? 0 : this.#publishOne(t, msg);
      const description = badMsg ? badMsg.description : status < 0 ? this.#why : '';
      if (last !== null && last.status === status && last.description === description) last.count++;
      else runs.push((last = { count: 1, status, description }));
    }
    return { type: 'reply-batch', rid: b.rid, runs };
  }

  /** Queues `msg` for every subscriber of `t` (which has some), or for none (-5): the status, or a code with #why. */
  #publishOne(t: Topic, msg: string): number {
    const limits = this.#o.limits;
    const bytes = Buffer.byteLength(msg, 'utf8');
    const members = this.state.membersOf(t);
    let full = 0;
    for (const sub of members) {
      if (sub.seqs.length - sub.head >= limits.maxPendingMessages || sub.pendingBytes + bytes > limits.maxPendingBytes) full++;
    }
    if (full > 0) {
      this.#why = `${full} subscriber queue${full === 1 ? ' is' : 's are'} full (limit ${limits.maxPendingMessages} messages or ${limits.maxPendingBytes} bytes); nothing was queued`;
      return E.LIMIT_REACHED;
    }
    const mid = this.state.nextMid++;
    const journal = this.#journal.durable ? this.#journal : null;
    journal?.addPayload(mid, t.tid, msg);
    const m: Msg = { mid, topic: t, msg, bytes, refs: members.length, out: null, outIdx: 0 };
    for (const sub of members) {
      const seq = sub.nextSeq++;
      sub.seqs.push(seq);
      sub.msgs.push(m);
      sub.pendingBytes += bytes;
      journal?.addPending(sub.gid, seq, mid);
      this.#dirty.add(sub);
      this.pacer.queued(sub);
    }
    return t.subs.size;
  }

  #newTopic(name: string): Topic | null {
    if (this.state.topics.size >= this.#o.limits.maxTopics) return null;
    const t = this.state.addTopic(this.state.nextTid, name);
    this.#journal.addTopic(t.tid, name);
    return t;
  }

  #topicLimit(rid: number): BrokerReply {
    return err(rid, E.LIMIT_REACHED, `the server has ${this.state.topics.size} topics (limit maxTopics ${this.#o.limits.maxTopics})`);
  }

  /** D4: unsubscribe removes that topic's pending messages of this id; seqs stay unique. */
  #purge(c: Client, t: Topic): void {
    let removed = 0;
    const seqs: number[] = [];
    const msgs: Msg[] = [];
    let next = 0;
    for (let i = c.head; i < c.msgs.length; i++) {
      const m = c.msgs[i];
      if (m.topic === t) {
        this.#journal.deletePending(c.gid, c.seqs[i]);
        this.#unref(m);
        c.pendingBytes -= m.bytes;
        removed++;
      } else {
        if (i < c.next) next++;
        seqs.push(c.seqs[i]);
        msgs.push(m);
      }
    }
    if (removed === 0) return;
    c.seqs = seqs;
    c.msgs = msgs;
    c.head = 0;
    c.next = next;
    this.#journal.setClient(c.gid, c.nextSeq, c.consumed);
  }

  #consume(lb: string, gid: number, seq: number): void {
    const c = this.state.clients.get(gid);
    if (!c || c.lb !== lb || seq <= c.consumed) return;
    const upTo = Math.min(seq, c.nextSeq - 1);
    while (c.head < c.seqs.length && c.seqs[c.head] <= upTo) {
      const m = c.msgs[c.head++];
      c.pendingBytes -= m.bytes;
      this.#unref(m);
    }
    if (c.next < c.head) c.next = c.head;
    c.consumed = upTo;
    this.#journal.deletePendingUpTo(gid, upTo);
    this.#journal.setClient(gid, c.nextSeq, upTo);
    this.state.compact(c);
    this.#dirty.add(c);
  }

  #unref(m: Msg): void {
    if (--m.refs === 0 && this.#journal.durable) this.#freed.push(m.mid);
  }

  /** Pushes, and sends now, what dirty queues hold of messages below `firstMid` (committed before). */
  #pushCommitted(firstMid: number): void {
    for (const c of this.#dirty) this.#pump(c, firstMid);
    this.#out.send();
    for (const sink of this.#sinks.values()) sink.flush?.();
  }

  /** Pushes queued messages (below `belowMid`) to the owning local broker while its credit window has room. */
  #pump(c: Client, belowMid = Infinity): void {
    const sink = this.#sinks.get(c.lb);
    if (!sink || !this.state.clients.has(c.gid)) return;
    let limit = Math.min(c.seqs.length, c.head + this.#o.pushWindow);
    if (belowMid !== Infinity) {
      let k = c.next;
      while (k < limit && c.msgs[k].mid < belowMid) k++;
      limit = k;
    }
    if (c.next >= limit) return;
    this.#out.addRange(sink, c.gid, c.msgs, c.seqs, c.next, limit);
    this.stats.pushes += limit - c.next;
    c.next = limit;
  }
}

/** Publish descriptions, made once for the usual subscriber counts (one per publish otherwise). */
const PUBLISHED = Array.from({ length: 65 }, (_, n) => `published to ${n} subscriber${n === 1 ? '' : 's'}`);

function published(n: number): string {
  return n < PUBLISHED.length ? PUBLISHED[n] : `published to ${n} subscribers`;
}

function ok(rid: number, status: number, description: string): BrokerReply {
  return { type: 'reply', rid, status, description };
}

function err(rid: number, code: number, description: string): BrokerReply {
  return { type: 'error', rid, code, description };
}
