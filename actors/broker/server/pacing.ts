// Publish pacing: a publisher that runs ahead of a topic's subscribers gets its successful
// publish replies later, not -5 later. When a group queued a message for a subscriber whose queue
// then held more than `threshold` unconsumed messages, the group's publish replies wait until
// every such queue is back at or under the threshold, or `maxHoldMs` has passed, whichever comes
// first; then they leave in their order. A publisher with a window of unacknowledged publishes
// thus slows to the pace its subscribers consume, and queues stay short (no -5 and resend
// storms, no backlog to keep in memory). The effect of a held publish is already committed: only
// its reply waits (broker.md §2.1 asks that the reply follow the durable effect, not that it be
// immediate). Replies to other operations, and failures, are never held; a full queue still
// answers -5 at once, and a stalled subscriber delays its publishers by at most maxHoldMs a group.

import type { BrokerReply, ReplyBatchFrame } from '../../../protocols/broker/index.ts';
import type { LbSink } from './deliveries.ts';
import type { Client } from './state.ts';

type LinkReply = BrokerReply | ReplyBatchFrame;

export class PublishPacer {
  readonly threshold: number;
  readonly #maxHoldMs: number;
  #held: { sink: LbSink; reply: LinkReply }[] = [];
  readonly #watch = new Set<Client>();
  #timer: NodeJS.Timeout | null = null;
  /** Subscribers over the threshold in the group being applied. */
  readonly #long = new Set<Client>();
  /** Counters for inspection and tests. */
  readonly stats = { held: 0, releasedByTimer: 0 };

  constructor(threshold: number, maxHoldMs: number) {
    this.threshold = threshold;
    this.#maxHoldMs = maxHoldMs;
  }

  /** A message was queued for `c` in this group. */
  queued(c: Client): void {
    if (c.seqs.length - c.head > this.threshold) this.#long.add(c);
  }

  /** Whether this group's publish replies wait (a queue it reached is long, or earlier ones still wait). */
  get holding(): boolean {
    return this.#long.size > 0 || this.#held.length > 0;
  }

  /** A publish reply of this group that waits. */
  hold(sink: LbSink, reply: LinkReply): void {
    this.#held.push({ sink, reply });
    this.stats.held++;
  }

  /** The group is applied and its replies are sent or held: watch its long queues, release what may go. */
  settle(alive: (c: Client) => boolean): void {
    for (const c of this.#long) this.#watch.add(c);
    this.#long.clear();
    if (this.#held.length === 0) return this.#watch.clear();
    for (const c of this.#watch) if (!alive(c) || c.seqs.length - c.head <= this.threshold) this.#watch.delete(c);
    if (this.#watch.size === 0) return this.#release();
    this.#timer ??= setTimeout(() => {
      this.stats.releasedByTimer++;
      this.#watch.clear();
      this.#release();
    }, this.#maxHoldMs);
  }

  #release(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const held = this.#held;
    this.#held = [];
    for (const h of held) h.sink.reply(h.reply);
  }

  /** The server stops: held replies are dropped (the local brokers resend by rid). */
  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#held = [];
    this.#watch.clear();
  }
}
