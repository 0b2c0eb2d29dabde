// A run of pushed messages for one id: texts [from, to) of an array shared by every id the server
// frame went to, all of one topic, with consecutive seqs (text k has seq + (k - from)). The local
// broker makes one per id and frame (deliveryRuns) instead of an object per message and id.

import type { DeliverBatchFrame, DeliverFrame, DeliverRunsFrame, FanoutFrame } from '../../../protocols/broker/index.ts';

export interface Run {
  readonly topic: string;
  readonly texts: readonly string[];
  readonly from: number;
  readonly to: number;
  /** The seq of text `from`. */
  readonly seq: number;
}

export function runLength(r: Run): number {
  return r.to - r.from;
}

/** Messages [a, b) of `r` (relative to its first) as a new run. */
export function runSlice(r: Run, a: number, b: number): Run {
  return { topic: r.topic, texts: r.texts, from: r.from + a, to: r.from + b, seq: r.seq + a };
}

/**
 * The pushes of one server frame as runs per gid, in each gid's order: a gid's run goes on while
 * its next message is the frame's next one of the same topic with the next seq. `emit` gets each
 * run once it is complete.
 */
export function deliveryRuns(f: DeliverBatchFrame | DeliverRunsFrame | DeliverFrame | FanoutFrame, emit: (gid: number, r: Run) => void): void {
  if (f.type === 'deliver') return emit(f.id, { topic: f.topic, texts: [f.msg], from: 0, to: 1, seq: f.seq });
  if (f.type === 'fanout') {
    const texts = [f.msg];
    for (const t of f.to) emit(t.id, { topic: f.topic, texts, from: 0, to: 1, seq: t.seq });
    return;
  }
  if (f.type === 'deliver-runs') return subscriberRuns(f, emit);
  const msgs = f.msgs;
  const texts = new Array<string>(msgs.length);
  for (let i = 0; i < msgs.length; i++) texts[i] = msgs[i].msg;
  // the open run of each gid: [topic index, first index, next index, first seq]
  const open = new Map<number, [number, number, number, number]>();
  const close = (gid: number, o: [number, number, number, number]): void => emit(gid, { topic: f.topics[o[0]], texts, from: o[1], to: o[2], seq: o[3] });
  for (let i = 0; i < msgs.length; i++) {
    const t = msgs[i].topic;
    const to = msgs[i].to;
    for (let j = 0; j < to.length; j += 2) {
      const gid = to[j];
      const seq = to[j + 1];
      const o = open.get(gid);
      if (o !== undefined && o[0] === t && o[2] === i && o[3] + (i - o[1]) === seq) {
        o[2] = i + 1;
        continue;
      }
      if (o !== undefined) close(gid, o);
      open.set(gid, [t, i, i + 1, seq]);
    }
  }
  for (const [gid, o] of open) close(gid, o);
}

/** A deliver-runs frame's runs, each cut where its messages change topic. */
function subscriberRuns(f: DeliverRunsFrame, emit: (gid: number, r: Run) => void): void {
  const msgs = f.msgs;
  const texts = new Array<string>(msgs.length);
  let oneTopic = true;
  for (let i = 0; i < msgs.length; i++) {
    texts[i] = msgs[i].msg;
    if (msgs[i].topic !== msgs[0].topic) oneTopic = false;
  }
  const runs = f.runs;
  for (let j = 0; j < runs.length; j += 4) {
    const gid = runs[j];
    const seq = runs[j + 1];
    const first = runs[j + 2];
    const end = first + runs[j + 3];
    if (oneTopic) {
      emit(gid, { topic: f.topics[msgs[0].topic], texts, from: first, to: end, seq });
      continue;
    }
    let from = first;
    for (let i = first + 1; i <= end; i++) {
      if (i < end && msgs[i].topic === msgs[from].topic) continue;
      emit(gid, { topic: f.topics[msgs[from].topic], texts, from, to: i, seq: seq + (from - first) });
      from = i;
    }
  }
}
