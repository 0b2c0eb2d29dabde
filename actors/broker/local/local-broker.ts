// The local broker's request handling (broker.md §2.1): validates, maps local ids to global ids
// (IdMap), forwards create/publish/subscribe/unsubscribe/destroy to the server over ServerLink,
// and serves recv from the id's Inbox without ever going to the server (D3).

import {
  BROKER_ERRORS as E,
  MAX_STREAM_CREDIT,
  validateId,
  validateMessage,
  validateRequest,
  validateTopic,
  type BrokerReply,
  type BrokerRequest,
  type DeliverBatchFrame,
  type DeliverRunsFrame,
  type DeliverFrame,
  type FanoutFrame,
  type PublishBatch,
  type StreamOpen,
} from '../../../protocols/broker/index.ts';
import type { Logger } from '../../../runtime/actor/types.ts';
import type { LocalSettings } from '../limits.ts';
import { IdMap } from './idmap.ts';
import { Inbox, type ParkedRecv } from './inbox.ts';
import { ServerLink, type ServerLinkOptions } from './server-link.ts';
import { deliveryRuns, runLength, type Run } from './runs.ts';
import { LocalStream, type StreamWrite } from './stream.ts';

/** The caller of one request: `alive` is false once its connection is gone (a parked recv then consumes nothing). */
export interface Caller {
  readonly alive: boolean;
}

export class LocalBroker {
  readonly ids: IdMap;
  readonly link: ServerLink;
  readonly #s: LocalSettings;
  readonly #inboxes = new Map<number, Inbox>();
  readonly #byGid = new Map<number, Inbox>();
  #stopping = false;

  constructor(s: LocalSettings, log: Logger, dial: ServerLinkOptions['dial']) {
    this.#s = s;
    this.ids = new IdMap(s.dataDir);
    for (const [local, gid] of this.ids.entries()) this.#addInbox(local, gid);
    this.link = new ServerLink({
      url: s.server,
      dial,
      lbId: this.ids.lbId,
      requestTimeoutMs: s.requestTimeoutMs,
      nextRid: () => this.ids.nextRid(),
      log,
      onDeliver: (f) => this.#deliver(f),
      onOpen: () => {
        for (const box of this.#inboxes.values()) if (box.consumed > 0) this.link.ack(box.gid, box.consumed);
      },
    });
  }

  start(): void {
    this.link.start();
  }

  #addInbox(local: number, gid: number): Inbox {
    const box = new Inbox(local, gid);
    this.#inboxes.set(local, box);
    this.#byGid.set(gid, box);
    return box;
  }

  #deliver(f: DeliverFrame | FanoutFrame | DeliverBatchFrame | DeliverRunsFrame): void {
    // the pushes of one server turn as one run per id (runs.ts): no object per message and id
    deliveryRuns(f, this.#pushRun);
  }

  readonly #pushRun = (gid: number, r: Run): void => {
    const box = this.#byGid.get(gid);
    if (!box) return this.link.ack(gid, r.seq + runLength(r) - 1); // an id this broker no longer maps: let the server forget it
    box.push(r, (d, prev, caller) => this.#consumed(box, d, prev, caller));
  };

  /**
   * Reports a returned message consumed only after its reply was written: the gateway writes the
   * replies of a turn in a setImmediate, and this report is sent one turn later, so a crash in
   * between gives a duplicate (at least once), never a loss.
   */
  #consumed(box: Inbox, d: { topic: string; msg: string; seq: number }, prev: number, caller: Caller | null): void {
    setImmediate(() => {
      // D3: a caller gone before its reply was written consumed nothing
      if (caller !== null && !caller.alive && box.untake(d, prev)) return;
      this.link.ack(box.gid, d.seq);
    });
  }

  /** Answers one client request; the reply carries the client's rid. */
  async handle(req: BrokerRequest, caller: Caller): Promise<BrokerReply> {
    const rid = req.rid;
    if (this.#stopping) return err(rid, E.SHUTTING_DOWN, 'the local broker is stopping');
    const bad = validateRequest(req, this.#s.limits);
    if (bad) return err(rid, bad.code, bad.description);
    if (req.type === 'create') {
      if (this.ids.size >= this.#s.maxLocalClients) {
        return err(rid, E.LIMIT_REACHED, `this local broker has ${this.ids.size} ids (limit maxLocalClients ${this.#s.maxLocalClients})`);
      }
      const r = await this.link.request({ type: 'create' });
      if (r.type === 'error') return { ...r, rid };
      if (r.id === undefined) return err(rid, E.PROTOCOL_ERROR, 'the server answered create without an id');
      const local = this.ids.add(r.id);
      if (!this.#inboxes.has(local)) this.#addInbox(local, r.id);
      return { type: 'reply', rid, status: local, description: `created id ${local}`, id: local };
    }
    const box = this.#inboxes.get(req.id);
    if (!box) return err(rid, E.UNKNOWN_ID, `id ${req.id} is not registered at this local broker`);
    if (req.type === 'recv') return this.#recv(req.rid, box, req.wait, req.timeoutMs, caller);
    const fwd =
      req.type === 'publish' ? { type: req.type, id: box.gid, topic: req.topic, msg: req.msg }
      : req.type === 'destroy' ? { type: req.type, id: box.gid }
      : { type: req.type, id: box.gid, topic: req.topic };
    const r = await this.link.request(fwd as Parameters<ServerLink['request']>[0]);
    if (r.type === 'error') {
      if (r.code === E.UNKNOWN_ID) return err(rid, E.UNKNOWN_ID, `id ${req.id} is not registered at this local broker`);
      return { ...r, rid };
    }
    if (req.type === 'unsubscribe' && r.status === 0) box.purgeTopic(req.topic);
    if (req.type === 'destroy') this.#forget(box);
    return { ...r, rid, description: r.description.replace(`id ${box.gid}`, `id ${req.id}`) };
  }

  /**
   * A publish batch (json-batch.ts): message i is the publish with rid `b.rid + i`, checked and
   * forwarded as `handle` would, with a callback instead of a promise per message. `done` gets
   * every status (and the failures' descriptions) once the last reply is in.
   */
  publishBatch(b: PublishBatch, done: (status: number[], errors: [number, string][]) => void): void {
    const n = b.msgs.length;
    const status = new Array<number>(n);
    const errors: [number, string][] = [];
    let left = n;
    const settle = (i: number, code: number, description: string): void => {
      status[i] = code;
      if (code < 0) errors.push([i, description]);
      if (--left === 0) done(status, errors.sort((x, y) => x[0] - y[0]));
    };
    const failAll = (code: number, description: string): void => {
      for (let i = 0; i < n; i++) settle(i, code, description);
    };
    if (this.#stopping) return failAll(E.SHUTTING_DOWN, 'the local broker is stopping');
    const bad = validateId(b.id) ?? validateTopic(b.topic, this.#s.limits);
    if (bad) return failAll(bad.code, bad.description);
    const box = this.#inboxes.get(b.id);
    const unknown = `id ${b.id} is not registered at this local broker`;
    // the valid messages go to the server as publish-batch frames (one rid each) under the frame cap
    const cap = this.#s.maxFrameBytes;
    const fixed = 1 + 4 + 8 + 2 + b.topic.length * 3 + 4;
    let at: number[] = [];
    let msgs: string[] = [];
    let bytes = fixed;
    const forward = (): void => {
      if (msgs.length === 0 || !box) return;
      const idx = at;
      this.link.send({ type: 'publish-batch', id: box.gid, topic: b.topic, msgs }, (r) => {
        if (r.type === 'error') {
          for (const i of idx) settle(i, r.code, r.code === E.UNKNOWN_ID ? unknown : r.description);
          return;
        }
        let k = 0;
        if (r.type === 'reply-batch') {
          for (const run of r.runs) {
            const description = run.status === E.UNKNOWN_ID ? unknown : run.description;
            for (let j = 0; j < run.count && k < idx.length; j++) settle(idx[k++], run.status, description);
          }
        }
        while (k < idx.length) settle(idx[k++], E.PROTOCOL_ERROR, 'the broker server answered a publish batch with a reply that does not cover it');
      });
      at = [];
      msgs = [];
      bytes = fixed;
    };
    for (let i = 0; i < n; i++) {
      const msg = b.msgs[i];
      // the order of checks of a single publish: arguments first, then the id
      const badMsg = validateMessage(msg, this.#s.limits);
      if (badMsg) {
        settle(i, badMsg.code, badMsg.description);
        continue;
      }
      if (!box) {
        settle(i, E.UNKNOWN_ID, unknown);
        continue;
      }
      // at most 3 UTF-8 bytes per UTF-16 unit: a frame never exceeds the cap
      const cost = 4 + msg.length * 3;
      if (msgs.length > 0 && bytes + cost > cap) forward();
      at.push(i);
      msgs.push(msg);
      bytes += cost;
    }
    forward();
  }

  /**
   * Opens a streaming receive for one id on one connection (json-stream.ts): `write` sends a line to
   * that connection. One consumer per id at a time: a stream is refused while a recv is parked on
   * the id or another stream is open.
   */
  openStream(s: StreamOpen, write: StreamWrite): { reply: BrokerReply; stream: LocalStream | null } {
    const fail = (code: number, description: string) => ({ reply: err(s.rid, code, description), stream: null });
    if (this.#stopping) return fail(E.SHUTTING_DOWN, 'the local broker is stopping');
    const bad = validateId(s.id);
    if (bad) return fail(bad.code, bad.description);
    if (!Number.isSafeInteger(s.credit) || s.credit < 1 || s.credit > MAX_STREAM_CREDIT) {
      return fail(E.INVALID_ARGUMENT, `credit must be 1..${MAX_STREAM_CREDIT}, got ${s.credit}`);
    }
    const box = this.#inboxes.get(s.id);
    if (!box) return fail(E.UNKNOWN_ID, `id ${s.id} is not registered at this local broker`);
    if (box.stream !== null || box.parked > 0) return fail(E.INVALID_ARGUMENT, `id ${s.id} already has a stream or a waiting recv`);
    // a binary stream's runs stay under the line cap the client was told of (maxFrameBytes)
    const stream = new LocalStream(s.rid, s.credit, box, write, s.binary === true ? Math.max(1024, this.#s.maxFrameBytes - 1024) : null);
    box.attach(stream);
    return { reply: { type: 'reply', rid: s.rid, status: 0, description: `streaming id ${s.id}` }, stream };
  }

  /** The client consumed its stream up to `seq`: the server may forget those messages. */
  ackStream(stream: LocalStream, seq: number): void {
    if (stream.box.stream !== stream) return;
    const consumed = stream.box.ack(seq);
    if (consumed > 0) this.link.ack(stream.box.gid, consumed);
  }

  /** The client closed the stream or its connection: unacknowledged messages stay in the inbox. */
  closeStream(stream: LocalStream): void {
    stream.drop();
    if (stream.box.stream === stream) stream.box.detach();
  }

  #forget(box: Inbox): void {
    if (this.#inboxes.get(box.local) !== box) return;
    box.stream?.end(E.UNKNOWN_ID, `id ${box.local} was destroyed`);
    this.#inboxes.delete(box.local);
    this.#byGid.delete(box.gid);
    this.ids.remove(box.local);
    for (const p of box.close()) p.deliver(null);
  }

  #recv(rid: number, box: Inbox, wait: boolean, timeoutMs: number | undefined, caller: Caller): BrokerReply | Promise<BrokerReply> {
    if (box.stream !== null) return err(rid, E.INVALID_ARGUMENT, `id ${box.local} is being streamed; recv is available once the stream closes`);
    const prev = box.consumed;
    const d = caller.alive ? box.take() : null;
    if (d) {
      this.#consumed(box, d, prev, caller);
      return { type: 'reply', rid, status: 1, description: 'a message', delivery: d };
    }
    if (!wait && (timeoutMs === undefined || timeoutMs === 0)) return { type: 'reply', rid, status: 0, description: 'no message' };
    return new Promise((resolve) => {
      const parked: ParkedRecv = {
        timer: null,
        deliver: (m) => {
          if (m === null) {
            resolve(this.#stopping ? err(rid, E.SHUTTING_DOWN, 'the local broker is stopping') : err(rid, E.UNKNOWN_ID, `id ${box.local} was destroyed while waiting`));
            return false;
          }
          if (!caller.alive) {
            resolve({ type: 'reply', rid, status: 0, description: 'no message (the caller went away)' });
            return false;
          }
          box.takenBy = caller;
          resolve({ type: 'reply', rid, status: 1, description: 'a message', delivery: m });
          return true;
        },
      };
      if (timeoutMs !== undefined) {
        parked.timer = setTimeout(() => {
          box.unpark(parked);
          resolve({ type: 'reply', rid, status: 0, description: `no message within ${timeoutMs} ms` });
        }, timeoutMs);
      }
      box.park(parked);
    });
  }

  stop(): void {
    this.#stopping = true;
    for (const box of this.#inboxes.values()) {
      box.stream?.end(E.SHUTTING_DOWN, 'the local broker is stopping');
      for (const p of box.close()) p.deliver(null);
    }
    this.link.stop();
    this.ids.close();
  }
}

function err(rid: number, code: number, description: string): BrokerReply {
  return { type: 'error', rid, code, description };
}
