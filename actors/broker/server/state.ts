// The server's in-memory state (broker.md §7 "Model"): topics with their subscriber sets, clients
// (gids) with their inverse index and FIFO of pending messages, rebuilt from the journal at start.

import type { BrokerReply, ReplyBatchFrame } from '../../../protocols/broker/index.ts';
import type { LoadedState } from './journal.ts';

/** One published message, shared by every subscriber queue it is in (one object per publish). */
export interface Msg {
  mid: number;
  topic: Topic;
  msg: string;
  bytes: number;
  /** Subscriber queues still holding it; the stored payload goes when it reaches 0. */
  refs: number;
  /** The deliveries frame it was last added to, and its index there (deliveries.ts: no lookup per push). */
  out: object | null;
  outIdx: number;
}

export interface Topic {
  tid: number;
  name: string;
  subs: Set<number>;
  /** The subscribers' records in `subs` order, made on the first publish after a change (null: stale). */
  members: Client[] | null;
}

export interface Client {
  gid: number;
  lb: string;
  topics: Set<Topic>;
  /**
   * Pending messages in seq order, as two parallel arrays (no object per queue entry):
   * [head, next) have been pushed and not yet consumed, [next, end) wait for credit.
   */
  seqs: number[];
  msgs: Msg[];
  head: number;
  next: number;
  pendingBytes: number;
  nextSeq: number;
  consumed: number;
}

export class ServerState {
  readonly topics = new Map<string, Topic>();
  readonly topicById = new Map<number, Topic>();
  readonly clients = new Map<number, Client>();
  readonly byLb = new Map<string, Set<number>>();
  /** Replies by rid per local broker: JSON as loaded from the store, objects once made here. */
  readonly rids = new Map<string, Map<number, string | BrokerReply | ReplyBatchFrame>>();
  nextGid = 1;
  nextTid = 1;
  nextMid = 1;

  static from(loaded: LoadedState): ServerState {
    const s = new ServerState();
    s.nextGid = loaded.meta.get('nextGid') ?? 1;
    s.nextMid = loaded.maxMid + 1;
    for (const t of loaded.topics) s.addTopic(t.tid, t.name);
    for (const c of loaded.clients) {
      const client = s.addClient(c.gid, c.lb);
      client.nextSeq = c.nextSeq;
      client.consumed = c.consumed;
      if (client.nextSeq <= c.consumed) client.nextSeq = c.consumed + 1;
      s.nextGid = Math.max(s.nextGid, c.gid + 1);
    }
    for (const { tid, gid } of loaded.subs) {
      const t = s.topicById.get(tid);
      const c = s.clients.get(gid);
      if (t && c) {
        t.subs.add(gid);
        t.members = null;
        c.topics.add(t);
      }
    }
    const byMid = new Map<number, Msg>();
    for (const p of loaded.pending) {
      const c = s.clients.get(p.gid);
      const t = s.topicById.get(p.tid);
      if (!c || !t) continue;
      let m = byMid.get(p.mid);
      if (!m) byMid.set(p.mid, (m = { mid: p.mid, topic: t, msg: p.body, bytes: Buffer.byteLength(p.body, 'utf8'), refs: 0, out: null, outIdx: 0 }));
      m.refs++;
      c.seqs.push(p.seq);
      c.msgs.push(m);
      c.pendingBytes += m.bytes;
      if (p.seq >= c.nextSeq) c.nextSeq = p.seq + 1;
      if (p.mid >= s.nextMid) s.nextMid = p.mid + 1;
    }
    for (const r of loaded.rids) s.ridsOf(r.lb).set(r.rid, r.reply);
    return s;
  }

  addTopic(tid: number, name: string): Topic {
    const t: Topic = { tid, name, subs: new Set(), members: null };
    this.topics.set(name, t);
    this.topicById.set(tid, t);
    if (tid >= this.nextTid) this.nextTid = tid + 1;
    return t;
  }

  addClient(gid: number, lb: string): Client {
    const c: Client = { gid, lb, topics: new Set(), seqs: [], msgs: [], head: 0, next: 0, pendingBytes: 0, nextSeq: 1, consumed: 0 };
    this.clients.set(gid, c);
    let set = this.byLb.get(lb);
    if (!set) this.byLb.set(lb, (set = new Set()));
    set.add(gid);
    return c;
  }

  removeClient(c: Client): void {
    this.clients.delete(c.gid);
    this.byLb.get(c.lb)?.delete(c.gid);
    for (const t of c.topics) {
      t.subs.delete(c.gid);
      t.members = null;
    }
  }

  ridsOf(lb: string): Map<number, string | BrokerReply | ReplyBatchFrame> {
    let m = this.rids.get(lb);
    if (!m) this.rids.set(lb, (m = new Map()));
    return m;
  }

  /** The subscribers of `t` (cached until its set changes). */
  membersOf(t: Topic): Client[] {
    return t.members ?? (t.members = [...t.subs].map((gid) => this.clients.get(gid) as Client));
  }

  pendingCount(c: Client): number {
    return c.seqs.length - c.head;
  }

  /** Drops consumed entries from the front of the array once they dominate it. */
  compact(c: Client): void {
    if (c.head > 1024 && c.head * 2 > c.seqs.length) {
      c.seqs = c.seqs.slice(c.head);
      c.msgs = c.msgs.slice(c.head);
      c.next -= c.head;
      c.head = 0;
    }
  }

  /** The inverse index and the forward index agree (used by tests and debug checks). */
  indexesAgree(): boolean {
    for (const t of this.topics.values()) for (const gid of t.subs) if (!this.clients.get(gid)?.topics.has(t)) return false;
    for (const c of this.clients.values()) for (const t of c.topics) if (!t.subs.has(c.gid)) return false;
    return true;
  }
}
