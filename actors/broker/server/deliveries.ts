// The pushes of one server turn, gathered per local broker and sent as deliver-batch frames: each
// message crosses a link once per turn with every (id, seq) of that LB it goes to, and a turn's
// messages to one LB share frames (as many as the frame cap needs), in message order, so each
// subscriber's FIFO holds (its queue is in message order).

import { MAX_BATCH, type BatchedMessage, type DeliverBatchFrame, type DeliverFrame, type FanoutFrame, type ReplyBatchFrame, type BrokerReply } from '../../../protocols/broker/index.ts';
import type { Msg, Topic } from './state.ts';

/** Where replies and pushes for one local broker go: its current link. */
export interface LbSink {
  reply(r: BrokerReply | ReplyBatchFrame): void;
  /** Pushes: the core sends deliver-batch frames; tests may send the older single frames. */
  deliver(f: DeliverFrame | FanoutFrame | DeliverBatchFrame): void;
}

/** One LB's pushes of this turn: messages in first-seen order, each with its flat (id, seq) pairs. */
interface SinkBatch {
  msgs: Msg[];
  to: number[][];
  index: Map<Msg, number>;
  sorted: boolean;
  lastMid: number;
}

// fixed bytes of a deliver-batch frame (opcode, topic count, message count) and of one message entry
const FRAME_FIXED = 1 + 2 + 4;
const MSG_FIXED = 2 + 4 + 4;

export class DeliveryBatcher {
  readonly #maxFrameBytes: number;
  readonly #bySink = new Map<LbSink, SinkBatch>();

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  add(sink: LbSink, m: Msg, gid: number, seq: number): void {
    let b = this.#bySink.get(sink);
    if (b === undefined) this.#bySink.set(sink, (b = { msgs: [], to: [], index: new Map(), sorted: true, lastMid: 0 }));
    const i = b.index.get(m);
    if (i !== undefined) {
      b.to[i].push(gid, seq);
      return;
    }
    b.index.set(m, b.msgs.length);
    b.msgs.push(m);
    b.to.push([gid, seq]);
    if (m.mid < b.lastMid) b.sorted = false;
    b.lastMid = m.mid;
  }

  /** Sends what was gathered: per LB, messages in mid order, in frames under the cap. */
  send(): void {
    if (this.#bySink.size === 0) return;
    for (const [sink, b] of this.#bySink) {
      const order = b.msgs.map((_, i) => i);
      if (!b.sorted) order.sort((x, y) => b.msgs[x].mid - b.msgs[y].mid);
      let frame = newFrame();
      let size = FRAME_FIXED;
      const flush = (): void => {
        if (frame.f.msgs.length > 0) sink.deliver(frame.f);
        frame = newFrame();
        size = FRAME_FIXED;
      };
      for (const i of order) {
        const m = b.msgs[i];
        const to = b.to[i];
        // topic names are ASCII (the topic rule), so their length is their byte count
        const topicCost = frame.topics.has(m.topic) ? 0 : 2 + m.topic.name.length;
        const cost = topicCost + MSG_FIXED + m.bytes + 8 * to.length;
        if (size + cost <= this.#maxFrameBytes && to.length <= 2 * MAX_BATCH && frame.f.msgs.length < MAX_BATCH) {
          size += cost;
          frame.f.msgs.push({ topic: topicIndex(frame, m.topic), msg: m.msg, to });
          continue;
        }
        flush();
        // one message to more subscribers than a frame holds goes in several frames
        const room = Math.max(1, Math.min(MAX_BATCH, Math.floor((this.#maxFrameBytes - FRAME_FIXED - 2 - m.topic.name.length - MSG_FIXED - m.bytes) / 16)));
        for (let at = 0; at < to.length; at += 2 * room) {
          const part = at === 0 && to.length <= 2 * room ? to : to.slice(at, at + 2 * room);
          size += 2 + m.topic.name.length + MSG_FIXED + m.bytes + 8 * part.length;
          frame.f.msgs.push({ topic: topicIndex(frame, m.topic), msg: m.msg, to: part });
          if (at + 2 * room < to.length) flush();
        }
      }
      flush();
    }
    this.#bySink.clear();
  }
}

interface Building {
  f: DeliverBatchFrame & { msgs: BatchedMessage[] };
  topics: Map<Topic, number>;
}

function newFrame(): Building {
  return { f: { type: 'deliver-batch', topics: [], msgs: [] }, topics: new Map() };
}

function topicIndex(b: Building, t: Topic): number {
  let i = b.topics.get(t);
  if (i === undefined) {
    i = b.f.topics.length;
    b.topics.set(t, i);
    b.f.topics.push(t.name);
  }
  return i;
}
