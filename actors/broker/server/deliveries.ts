// The pushes of one server turn, gathered per local broker and sent as deliver-runs frames: each
// message crosses a link once per turn, and each subscriber of that LB gets its share as runs
// (id, first seq, first message, count), so a push costs no entry per (message, id) on the wire
// or here. An id's pushes are added in its queue order (core.ts #pump), so its runs keep its FIFO;
// a frame is cut at the frame cap (its open runs end there, the next frame names the messages again).

import { MAX_BATCH, type BrokerReply, type DeliverBatchFrame, type DeliverFrame, type DeliverRunsFrame, type FanoutFrame, type ReplyBatchFrame, type RunMessage } from '../../../protocols/broker/index.ts';
import type { Msg, Topic } from './state.ts';

/** Where replies and pushes for one local broker go: its current link. */
export interface LbSink {
  reply(r: BrokerReply | ReplyBatchFrame): void;
  /** Pushes: the core sends deliver-runs frames; tests may send the older frames. */
  deliver(f: DeliverFrame | FanoutFrame | DeliverBatchFrame | DeliverRunsFrame): void;
  /** Sends what was queued for this LB now. */
  flush?(): void;
}

// fixed bytes of a deliver-runs frame (opcode, topic, message and run counts), of one message entry, of one run
const FRAME_FIXED = 1 + 2 + 4 + 4;
const MSG_FIXED = 2 + 4;
const RUN_BYTES = 24;

/** One LB's frame being built: its messages (each once), topics and runs, and its size so far. */
interface Building {
  sink: LbSink;
  f: DeliverRunsFrame & { msgs: RunMessage[] };
  topics: Map<Topic, number>;
  size: number;
  /** The open run (the last one in `f.runs`) and whose it is. */
  runGid: number;
  runNextIdx: number;
  runNextSeq: number;
}

export class DeliveryBatcher {
  readonly #maxFrameBytes: number;
  readonly #bySink = new Map<LbSink, Building>();

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Pushes msgs[from..to) (seqs alike) of `gid` to `sink`'s frame, in order. */
  addRange(sink: LbSink, gid: number, msgs: readonly Msg[], seqs: readonly number[], from: number, to: number): void {
    let b = this.#bySink.get(sink);
    if (b === undefined) this.#bySink.set(sink, (b = building(sink)));
    for (let k = from; k < to; k++) b = this.#add(b, msgs[k], gid, seqs[k]);
  }

  add(sink: LbSink, m: Msg, gid: number, seq: number): void {
    this.addRange(sink, gid, [m], [seq], 0, 1);
  }

  /** One push; returns the frame being built for this sink afterwards (a new one when the cap cut it). */
  #add(frame: Building, m: Msg, gid: number, seq: number): Building {
    let b = frame;
    // the message's index in this frame, from its own note when this frame is the last it went to
    // (one that went to another LB's frame in between is named again: correct, rarely needed)
    let i = m.out === b ? m.outIdx : -1;
    if (i < 0) {
      // topic names are ASCII (the topic rule), so their length is their byte count
      const cost = (b.topics.has(m.topic) ? 0 : 2 + m.topic.name.length) + MSG_FIXED + m.bytes + RUN_BYTES;
      if (b.f.msgs.length > 0 && (b.size + cost > this.#maxFrameBytes || b.f.msgs.length >= MAX_BATCH)) b = this.#restart(b);
      i = b.f.msgs.length;
      b.f.msgs.push({ topic: topicIndex(b, m.topic), msg: m.msg });
      b.size += cost - RUN_BYTES;
    }
    m.out = b;
    m.outIdx = i;
    if (b.runGid === gid && b.runNextIdx === i && b.runNextSeq === seq) {
      b.f.runs[b.f.runs.length - 1]++;
      b.runNextIdx++;
      b.runNextSeq++;
      return b;
    }
    // no room for another run: the message goes again in a new frame
    if (b.f.runs.length >= 4 * MAX_BATCH || b.size + RUN_BYTES > this.#maxFrameBytes) return this.#add(this.#restart(b), m, gid, seq);
    b.f.runs.push(gid, seq, i, 1);
    b.size += RUN_BYTES;
    b.runGid = gid;
    b.runNextIdx = i + 1;
    b.runNextSeq = seq + 1;
    return b;
  }

  /** Sends `b` and starts this sink's next frame. */
  #restart(b: Building): Building {
    this.#send(b);
    const next = building(b.sink);
    this.#bySink.set(b.sink, next);
    return next;
  }

  /** Sends what was gathered: one frame per LB (more where the cap cut it). */
  send(): void {
    if (this.#bySink.size === 0) return;
    for (const b of this.#bySink.values()) this.#send(b);
    this.#bySink.clear();
  }

  #send(b: Building): void {
    if (b.f.runs.length > 0) b.sink.deliver(b.f);
  }
}

function building(sink: LbSink): Building {
  return { sink, f: { type: 'deliver-runs', topics: [], msgs: [], runs: [] }, topics: new Map(), size: FRAME_FIXED, runGid: 0, runNextIdx: -1, runNextSeq: -1 };
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
