// The narrow seam between the broker's link actors (ServerLink on the local broker, LbLink on the
// server) and whatever carries their frames: the runtime's node links (node-transport.ts).

import type { BrokerFrame } from '../../../protocols/broker/index.ts';

export interface FrameTransport {
  /** Queues a frame; frames queued in one turn leave together. */
  send(frame: BrokerFrame): void;
  /**
   * Calls `fill` once, just before the frames of this turn leave, so that it can `send` what it
   * gathered during the turn (coalesced reports) in the same message. Dropped if the link ends first.
   */
  sendLater(fill: () => void): void;
  /** Sends what is queued now, not at the end of the turn. */
  flush(): void;
  /** Sends what is queued, then closes. `code`/`reason` are for the peer's log. */
  close(reason: string): void;
  /** Drops the connection at once. */
  terminate(): void;
  readonly open: boolean;
}

export interface TransportEvents {
  frame(frame: BrokerFrame): void;
  /** Once, whatever the cause (peer close, protocol error, missed pongs). */
  closed(reason: string): void;
}
