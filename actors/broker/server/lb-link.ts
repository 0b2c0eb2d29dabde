// LbLink: one per connected local broker (broker.md §5.2). Its lifecycle is an xstate machine
// (handshaking -> open -> draining -> closed); frames themselves go straight to the core.
// The first frame must be `hello`; a second hello, a reply-type frame or a recv is a protocol error.

import { createActor, setup } from 'xstate';
import { BROKER_ERRORS, type BrokerFrame, type BrokerReply, type DeliverBatchFrame, type DeliverRunsFrame, type DeliverFrame, type FanoutFrame, type ReplyBatchFrame } from '../../../protocols/broker/index.ts';
import type { Logger } from '../../../runtime/actor/types.ts';
import type { FrameTransport } from '../link/transport.ts';
import type { BrokerCore, LbSink } from './core.ts';

type LinkEvent = { type: 'HELLO' } | { type: 'DRAIN' } | { type: 'CLOSED' };

export const lbLinkLifecycle = setup({ types: { events: {} as LinkEvent } }).createMachine({
  id: 'lb-link',
  initial: 'handshaking',
  states: {
    handshaking: { on: { HELLO: 'open', DRAIN: 'closed', CLOSED: 'closed' } },
    open: { on: { DRAIN: 'draining', CLOSED: 'closed' } },
    draining: { on: { CLOSED: 'closed' } },
    closed: { type: 'final' },
  },
});

export class LbLink implements LbSink {
  readonly #core: BrokerCore;
  readonly #log: Logger;
  readonly #machine = createActor(lbLinkLifecycle).start();
  readonly #onHello: (lb: string, link: LbLink) => void;
  transport: FrameTransport | null = null;
  lbId: string | null = null;

  constructor(core: BrokerCore, log: Logger, onHello: (lb: string, link: LbLink) => void) {
    this.#core = core;
    this.#log = log;
    this.#onHello = onHello;
  }

  get phase(): string {
    return String(this.#machine.getSnapshot().value);
  }

  reply(r: BrokerReply | ReplyBatchFrame): void {
    this.transport?.send(r);
  }

  deliver(f: DeliverFrame | FanoutFrame | DeliverBatchFrame | DeliverRunsFrame): void {
    this.transport?.send(f);
  }

  flush(): void {
    this.transport?.flush();
  }

  frame(f: BrokerFrame): void {
    const phase = this.phase;
    if (phase === 'handshaking') {
      if (f.type !== 'hello') return this.#protocolError(`the first frame must be hello, not ${f.type}`);
      this.lbId = f.lbId;
      this.#machine.send({ type: 'HELLO' });
      this.#onHello(f.lbId, this);
      this.#log.info('local broker linked', { lb: f.lbId });
      this.#core.attach(f.lbId, this);
      return;
    }
    if (phase !== 'open' || this.lbId === null) return; // draining: nothing new is taken
    switch (f.type) {
      case 'create':
      case 'publish':
      case 'subscribe':
      case 'unsubscribe':
      case 'destroy':
      case 'publish-batch':
        return this.#core.request(this.lbId, f, this);
      case 'recv':
        return this.reply({ type: 'error', rid: f.rid, code: BROKER_ERRORS.PROTOCOL_ERROR, description: 'recv is served by the local broker and never reaches the server' });
      case 'ack':
        return this.#core.consumed(this.lbId, f.id, f.seq);
      default:
        return this.#protocolError(`a ${f.type} frame cannot be sent to the broker server`);
    }
  }

  #protocolError(detail: string): void {
    this.transport?.send({ type: 'error', rid: 0, code: BROKER_ERRORS.PROTOCOL_ERROR, description: detail });
    this.transport?.close(`protocol error: ${detail}`);
  }

  /** Graceful stop: take nothing new, let queued replies leave, close. */
  drain(reason: string): void {
    this.#machine.send({ type: 'DRAIN' });
    this.transport?.close(reason);
  }

  closed(reason: string): void {
    if (this.phase === 'closed') return;
    this.#machine.send({ type: 'CLOSED' });
    if (this.lbId !== null) {
      this.#core.detach(this.lbId, this);
      this.#log.info('local broker link closed', { lb: this.lbId, reason });
    }
  }
}
