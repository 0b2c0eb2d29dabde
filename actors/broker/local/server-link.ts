// ServerLink (broker.md §5.2, §6.1): the local broker's single link to the server, with its
// lifecycle as an xstate machine (idle -> connecting -> handshaking -> open -> backoff ->
// connecting ...). Requests wait in `inflight` (by rid) until their reply; after a reconnect they
// are sent again with the same rid, and the server answers a rid it already applied with the
// original reply. A request with no reply within requestTimeoutMs is answered -6.

import { createActor, setup } from 'xstate';
import {
  BROKER_ERRORS,
  BROKER_PROTOCOL_VERSION,
  type BrokerFrame,
  type BrokerReply,
  type BrokerRequest,
  type DeliverBatchFrame,
  type DeliverRunsFrame,
  type DeliverFrame,
  type FanoutFrame,
  type PublishBatchFrame,
  type ReplyBatchFrame,
} from '../../../protocols/broker/index.ts';
import type { Logger } from '../../../runtime/actor/types.ts';
import type { FrameTransport, TransportEvents } from '../link/transport.ts';

type LinkEvent = { type: 'CONNECT' } | { type: 'CONNECTED' } | { type: 'HELLO_SENT' } | { type: 'LOST' } | { type: 'RETRY' } | { type: 'STOP' };

export const serverLinkLifecycle = setup({ types: { events: {} as LinkEvent } }).createMachine({
  id: 'server-link',
  initial: 'idle',
  states: {
    idle: { on: { CONNECT: 'connecting', STOP: 'stopped' } },
    connecting: { on: { CONNECTED: 'handshaking', LOST: 'backoff', STOP: 'stopped' } },
    handshaking: { on: { HELLO_SENT: 'open', LOST: 'backoff', STOP: 'stopped' } },
    open: { on: { LOST: 'backoff', STOP: 'stopped' } },
    backoff: { on: { RETRY: 'connecting', STOP: 'stopped' } },
    stopped: { type: 'final' },
  },
});

export interface ServerLinkOptions {
  /** For the log: where the server is. */
  url: string;
  /** Opens a new link life to the server (node-transport.ts); rejects when the server is unreachable. */
  dial(events: TransportEvents): Promise<FrameTransport>;
  lbId: string;
  requestTimeoutMs: number;
  nextRid(): number;
  log: Logger;
  onDeliver(f: DeliverFrame | FanoutFrame | DeliverBatchFrame | DeliverRunsFrame): void;
  /** The link is (re)open: the owner re-reports its consumed marks. */
  onOpen(): void;
}

type Req = BrokerRequest extends infer R ? (R extends { rid: number } ? Omit<R, 'rid'> : never) : never;
type BatchReq = Omit<PublishBatchFrame, 'rid'>;
type LinkReply = BrokerReply | ReplyBatchFrame;

interface InFlight {
  frame: BrokerRequest | PublishBatchFrame;
  resolve(r: LinkReply): void;
  /** When it is answered -6 (every request has the same timeout, so the map is in deadline order). */
  deadline: number;
}

export class ServerLink {
  readonly #o: ServerLinkOptions;
  readonly #machine = createActor(serverLinkLifecycle).start();
  readonly #inflight = new Map<number, InFlight>();
  #transport: FrameTransport | null = null;
  #acks = new Map<number, number>();
  #ackScheduled = false;
  #attempt = 0;
  #retry: NodeJS.Timeout | null = null;
  /** One timer for the oldest request's deadline, not one per request (the publish path is hot). */
  #expiry: NodeJS.Timeout | null = null;

  constructor(o: ServerLinkOptions) {
    this.#o = o;
  }

  get phase(): string {
    return String(this.#machine.getSnapshot().value);
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  start(): void {
    this.#machine.send({ type: 'CONNECT' });
    this.#connect();
  }

  #connect(): void {
    let transport: FrameTransport | null = null;
    let ended = false;
    const lost = (reason: string): void => {
      if (ended) return;
      ended = true;
      if (this.#transport === transport) this.#transport = null;
      this.#ackScheduled = false; // a report waiting on that link is made again by onOpen
      if (this.phase === 'stopped' || this.phase === 'backoff') return;
      this.#machine.send({ type: 'LOST' });
      const delay = Math.min(100 * 2 ** this.#attempt++, 10_000);
      this.#o.log.info('server link down; retrying', { reason, inMs: delay });
      this.#retry = setTimeout(() => {
        this.#retry = null;
        this.#machine.send({ type: 'RETRY' });
        if (this.phase === 'connecting') this.#connect();
      }, delay);
    };
    this.#o.dial({ frame: (f) => this.#frame(f), closed: lost }).then(
      (t) => {
        transport = t;
        if (ended) return;
        if (this.phase !== 'connecting') return t.terminate();
        this.#machine.send({ type: 'CONNECTED' });
        this.#transport = t;
        // every new link life starts with hello, then the requests still waiting, by rid unchanged
        t.send({ type: 'hello', version: BROKER_PROTOCOL_VERSION, lbId: this.#o.lbId });
        this.#machine.send({ type: 'HELLO_SENT' });
        this.#attempt = 0;
        this.#o.log.info('server link open', { url: this.#o.url });
        this.#o.onOpen();
        for (const f of this.#inflight.values()) t.send(f.frame);
      },
      (e: Error) => lost(e.message),
    );
  }

  #frame(f: BrokerFrame): void {
    if (f.type === 'deliver-runs' || f.type === 'deliver-batch' || f.type === 'fanout' || f.type === 'deliver') return this.#o.onDeliver(f);
    if (f.type === 'reply' || f.type === 'error' || f.type === 'reply-batch') {
      if (f.type === 'error' && f.rid === 0) return this.#o.log.warn('broker server reported a link error', { code: f.code, description: f.description });
      const w = this.#inflight.get(f.rid);
      if (!w) return;
      this.#inflight.delete(f.rid);
      w.resolve(f);
      return;
    }
    this.#o.log.warn('unexpected frame from the broker server', { type: f.type });
  }

  /** One request to the server; always settles (a reply, an error, or -6 after requestTimeoutMs). */
  request(req: Req): Promise<BrokerReply> {
    return new Promise((resolve) => this.send(req, resolve as (r: LinkReply) => void));
  }

  /**
   * `request` with a callback (the publish path: no promise per message); `done` is called exactly
   * once: a publish batch gets its reply-batch, or one error frame for the whole batch.
   */
  send(req: Req | BatchReq, done: (r: LinkReply) => void): void {
    const rid = this.#o.nextRid();
    if (this.phase === 'stopped') return done({ type: 'error', rid, code: BROKER_ERRORS.SHUTTING_DOWN, description: 'the local broker is stopping' });
    const frame = { ...req, rid } as BrokerRequest | PublishBatchFrame;
    this.#inflight.set(rid, { frame, resolve: done, deadline: performance.now() + this.#o.requestTimeoutMs });
    if (this.#expiry === null) this.#armExpiry(this.#o.requestTimeoutMs);
    if (this.phase === 'open') this.#transport?.send(frame);
  }

  #armExpiry(ms: number): void {
    this.#expiry = setTimeout(() => this.#expire(), Math.max(1, Math.ceil(ms)));
  }

  /** Answers -6 to every request past its deadline, then waits for the next oldest one. */
  #expire(): void {
    this.#expiry = null;
    const now = performance.now();
    for (const [rid, w] of this.#inflight) {
      if (w.deadline > now) return this.#armExpiry(w.deadline - now);
      this.#inflight.delete(rid);
      w.resolve({
        type: 'error',
        rid,
        code: BROKER_ERRORS.UNAVAILABLE,
        description: `no reply from broker server within ${this.#o.requestTimeoutMs} ms; the operation may or may not have been applied`,
      });
    }
  }

  /**
   * Reports everything of `gid` up to `seq` as returned by recv: coalesced per turn (the last seq
   * of each gid), and sent with the turn's other frames in the same link message.
   */
  ack(gid: number, seq: number): void {
    this.#acks.set(gid, seq);
    const t = this.#transport;
    if (this.#ackScheduled || this.phase !== 'open' || t === null) return; // re-reported by onOpen after the reconnect
    this.#ackScheduled = true;
    t.sendLater(() => {
      this.#ackScheduled = false;
      if (this.#transport !== t) return;
      for (const [id, s] of this.#acks) t.send({ type: 'ack', id, seq: s });
      this.#acks.clear();
    });
  }

  stop(): void {
    this.#machine.send({ type: 'STOP' });
    if (this.#retry) clearTimeout(this.#retry);
    this.#transport?.close('the local broker is stopping');
    if (this.#expiry) clearTimeout(this.#expiry);
    this.#expiry = null;
    for (const [rid, w] of this.#inflight) {
      w.resolve({ type: 'error', rid, code: BROKER_ERRORS.SHUTTING_DOWN, description: 'the local broker is stopping; the operation may or may not have been applied' });
    }
    this.#inflight.clear();
  }
}
