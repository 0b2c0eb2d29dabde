// FrameTransport over the runtime's node links (broker.md §5.2, §6.1): one endpoint actor per side
// carries encodeBrokerFrame bytes (the binary codec and its frame cap stay), coalesced per turn
// into one message. A local broker opens a new "link life" with `open`; the server side binds a
// transport to (sender path, life). Each side watches the other's endpoint, so a lost node link
// (node-down) or a stopped endpoint ends every transport to it with `closed(reason)`.
// Authentication is the node link's HMAC handshake (the node secret), not a broker secret.

import { Buffer } from 'node:buffer';
import { BROKER_ERRORS, BrokerStreamDecoder, encodeBrokerFrame, type BrokerFrame } from '../../../protocols/broker/index.ts';
import { defineActor, type ActorContext, type ActorRef, type StopReason } from '../../../runtime/index.ts';
import type { FrameTransport, TransportEvents } from './transport.ts';

export type LinkMsg =
  | { type: 'open'; lb: string; life: number; from: ActorRef<LinkMsg> }
  | { type: 'frames'; life: number; from: ActorRef<LinkMsg>; bytes: Uint8Array }
  | { type: 'close'; life: number; from: ActorRef<LinkMsg>; reason: string }
  | { type: 'watch'; ref: ActorRef<LinkMsg> };

/** What an endpoint actor hands its messages to (a plain object on the main thread). */
export interface LinkHub {
  self: ActorRef<LinkMsg> | null;
  receive(msg: LinkMsg): void;
  peerDown(path: string, reason: string): void;
}

export const BROKER_LINK_ACTOR = 'broker-link';

export const LinkEndpoint = defineActor<LinkMsg, { hub: LinkHub }>(import.meta.url, 'BrokerLinkEndpoint', (props, ctx) => {
  props.hub.self = ctx.self;
  return {
    receive(msg: LinkMsg, c: ActorContext<LinkMsg>) {
      if (msg.type === 'watch') c.watch(msg.ref);
      else props.hub.receive(msg);
    },
    terminated(ev) {
      props.hub.peerDown(ev.ref.path, describe(ev.reason));
    },
  };
});

function describe(r: StopReason): string {
  if (r === null || r === undefined) return 'stopped';
  if (typeof r === 'string') return r;
  if (typeof r === 'object' && 'error' in r) return String((r as { error: unknown }).error);
  return JSON.stringify(r);
}

export class NodeTransport implements FrameTransport {
  readonly peer: ActorRef<LinkMsg>;
  readonly life: number;
  readonly #self: ActorRef<LinkMsg>;
  readonly #events: TransportEvents;
  readonly #decoder: BrokerStreamDecoder;
  readonly #maxFrameBytes: number;
  readonly #onEnd: () => void;
  #out: Buffer[] = [];
  #outBytes = 0;
  #fills: (() => void)[] = [];
  #scheduled = false;
  #closed = false;

  constructor(self: ActorRef<LinkMsg>, peer: ActorRef<LinkMsg>, life: number, events: TransportEvents, maxFrameBytes: number, onEnd: () => void) {
    this.#self = self;
    this.peer = peer;
    this.life = life;
    this.#events = events;
    this.#maxFrameBytes = maxFrameBytes;
    this.#decoder = new BrokerStreamDecoder({ maxFrameBytes });
    this.#onEnd = onEnd;
  }

  get open(): boolean {
    return !this.#closed;
  }

  send(frame: BrokerFrame): void {
    if (this.#closed) return;
    const b = encodeBrokerFrame(frame, { maxFrameBytes: this.#maxFrameBytes });
    this.#out.push(b);
    this.#outBytes += b.length;
    // one node message stays near a frame's size: a large backlog leaves in several
    if (this.#outBytes >= 256 * 1024) this.#flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  sendLater(fill: () => void): void {
    if (this.#closed) return;
    this.#fills.push(fill);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  flush(): void {
    if (this.#scheduled && !this.#closed) this.#flush();
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#fills.length > 0) {
      const fills = this.#fills;
      this.#fills = [];
      for (const f of fills) f();
    }
    this.#outBytes = 0;
    if (this.#out.length === 0) return;
    const bytes = this.#out.length === 1 ? this.#out[0] : Buffer.concat(this.#out);
    this.#out = [];
    this.peer.tell({ type: 'frames', life: this.life, from: this.#self, bytes });
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#flush();
    this.peer.tell({ type: 'close', life: this.life, from: this.#self, reason: reason.slice(0, 120) });
    this.#end(reason);
  }

  terminate(): void {
    this.#out = [];
    this.#fills = [];
    if (!this.#closed) this.peer.tell({ type: 'close', life: this.life, from: this.#self, reason: 'terminated' });
    this.#end('terminated');
  }

  /** Bytes from the peer for this life. */
  received(bytes: Uint8Array): void {
    if (this.#closed) return;
    const frames = this.#decoder.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    for (const f of frames) {
      if (this.#closed) return;
      this.#events.frame(f);
    }
    const e = this.#decoder.error;
    if (e) {
      this.send({ type: 'error', rid: 0, code: BROKER_ERRORS.PROTOCOL_ERROR, description: e.message });
      this.close(`protocol error: ${e.message}`);
    }
  }

  /** The peer closed this life, or its node/endpoint is gone. */
  ended(reason: string): void {
    this.#out = [];
    this.#fills = [];
    this.#end(reason);
  }

  #end(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onEnd();
    this.#events.closed(reason);
  }
}

function keyOf(path: string, life: number): string {
  return `${path}#${life}`;
}

/** Server side: accepts link lives from local brokers' endpoints. */
export class ServerLinkHub implements LinkHub {
  self: ActorRef<LinkMsg> | null = null;
  readonly #lives = new Map<string, NodeTransport>();
  readonly #maxFrameBytes: number;
  readonly #accept: (lb: string, bind: (events: TransportEvents) => NodeTransport) => void;

  constructor(maxFrameBytes: number, accept: (lb: string, bind: (events: TransportEvents) => NodeTransport) => void) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#accept = accept;
  }

  get lives(): number {
    return this.#lives.size;
  }

  receive(msg: LinkMsg): void {
    const self = this.self;
    if (self === null || msg.type === 'watch') return;
    const key = keyOf(msg.from.path, msg.life);
    if (msg.type === 'open') {
      if (this.#lives.has(key)) return;
      self.tell({ type: 'watch', ref: msg.from });
      this.#accept(msg.lb, (events) => {
        const t = new NodeTransport(self, msg.from, msg.life, events, this.#maxFrameBytes, () => this.#lives.delete(key));
        this.#lives.set(key, t);
        return t;
      });
      return;
    }
    const t = this.#lives.get(key);
    if (msg.type === 'frames') {
      if (t) t.received(msg.bytes);
      else msg.from.tell({ type: 'close', life: msg.life, from: self, reason: 'no such link (the server restarted or closed it)' });
    } else t?.ended(`link closed by the local broker (${msg.reason})`);
  }

  peerDown(path: string, reason: string): void {
    for (const t of [...this.#lives.values()]) if (t.peer.path === path) t.ended(`local broker node lost: ${reason}`);
  }
}

/** Local broker side: dials link lives to the server's endpoint, one at a time. */
export class LocalLinkHub implements LinkHub {
  self: ActorRef<LinkMsg> | null = null;
  readonly #server: ActorRef<LinkMsg>;
  readonly #maxFrameBytes: number;
  #life = 0;
  #current: NodeTransport | null = null;

  constructor(server: ActorRef<LinkMsg>, maxFrameBytes: number) {
    this.#server = server;
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Opens a new link life: watch the server's endpoint, then announce the life to it. */
  dial(lb: string, events: TransportEvents): NodeTransport {
    const self = this.self;
    if (self === null) throw new Error('the broker link endpoint is not started');
    this.#current?.ended('replaced by a new link life');
    const life = ++this.#life;
    const t = new NodeTransport(self, this.#server, life, events, this.#maxFrameBytes, () => {
      if (this.#current === t) this.#current = null;
    });
    this.#current = t;
    self.tell({ type: 'watch', ref: this.#server });
    this.#server.tell({ type: 'open', lb, life, from: self });
    return t;
  }

  receive(msg: LinkMsg): void {
    const t = this.#current;
    if (!t || msg.type === 'watch' || msg.type === 'open' || msg.life !== t.life) return;
    if (msg.type === 'frames') t.received(msg.bytes);
    else t.ended(`link closed by the broker server (${msg.reason})`);
  }

  peerDown(path: string, reason: string): void {
    if (this.#current && this.#current.peer.path === path) this.#current.ended(`broker server node lost: ${reason}`);
  }
}
