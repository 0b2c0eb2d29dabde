// FrameTransport over one ws connection: broker frames (protocols/broker, length32 each) are
// coalesced per event-loop turn into one binary ws message; a received message may hold several.
// A malformed frame answers `error` (rid 0, -9) and closes (PROTOCOL.md). Keep-alive: a ping every
// `pingMs`; three unanswered pings close the link (broker.md §6.1).

import { Buffer } from 'node:buffer';
import type { WebSocket } from 'ws';
import { BROKER_ERRORS, BrokerStreamDecoder, encodeBrokerFrame, type BrokerFrame } from '../../../protocols/broker/index.ts';
import type { FrameTransport, TransportEvents } from './transport.ts';

export interface WsTransportOptions {
  maxFrameBytes: number;
  pingMs: number;
}

export class WsTransport implements FrameTransport {
  readonly #ws: WebSocket;
  readonly #events: TransportEvents;
  readonly #decoder: BrokerStreamDecoder;
  readonly #maxFrameBytes: number;
  #out: Buffer[] = [];
  #outBytes = 0;
  #scheduled = false;
  #closed = false;
  #missed = 0;
  #ping: NodeJS.Timeout;

  constructor(ws: WebSocket, events: TransportEvents, o: WsTransportOptions) {
    this.#ws = ws;
    this.#events = events;
    this.#maxFrameBytes = o.maxFrameBytes;
    this.#decoder = new BrokerStreamDecoder({ maxFrameBytes: o.maxFrameBytes });
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('pong', () => (this.#missed = 0));
    ws.on('close', (code: number, reason: Buffer) => this.#end(`link closed (${code}${reason.length > 0 ? ' ' + reason.toString() : ''})`));
    ws.on('error', (e: Error) => this.#end(`link error: ${e.message}`));
    this.#ping = setInterval(() => {
      if (++this.#missed > 3) {
        this.terminate();
        this.#end('no pong for three pings');
      } else if (ws.readyState === ws.OPEN) ws.ping();
    }, o.pingMs);
    this.#ping.unref();
  }

  get open(): boolean {
    return !this.#closed && this.#ws.readyState === this.#ws.OPEN;
  }

  send(frame: BrokerFrame): void {
    if (this.#closed) return;
    const b = encodeBrokerFrame(frame, { maxFrameBytes: this.#maxFrameBytes });
    this.#out.push(b);
    this.#outBytes += b.length;
    // one ws message stays near a frame's size: a large backlog leaves in several
    if (this.#outBytes >= 256 * 1024) this.#flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    this.#outBytes = 0;
    if (this.#out.length === 0 || this.#ws.readyState !== this.#ws.OPEN) return;
    const out = this.#out.length === 1 ? this.#out[0] : Buffer.concat(this.#out);
    this.#out = [];
    this.#ws.send(out, { binary: true });
  }

  close(reason: string): void {
    this.#flush();
    if (this.#ws.readyState === this.#ws.OPEN || this.#ws.readyState === this.#ws.CONNECTING) this.#ws.close(1000, reason.slice(0, 120));
    this.#end(reason);
  }

  terminate(): void {
    this.#ws.terminate();
    this.#end('terminated');
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    if (!isBinary) return this.#protocolError('a text message on a broker link');
    const frames = this.#decoder.push(data);
    for (const f of frames) {
      if (this.#closed) return;
      this.#events.frame(f);
    }
    const e = this.#decoder.error;
    if (e) this.#protocolError(e.message);
  }

  #protocolError(detail: string): void {
    this.send({ type: 'error', rid: 0, code: BROKER_ERRORS.PROTOCOL_ERROR, description: detail });
    this.close(`protocol error: ${detail}`);
  }

  #end(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#ping);
    this.#events.closed(reason);
  }
}
