// Mail bound for one other thread, gathered during a turn and posted as one flat array.
// Consecutive plain tells from the same sender to the same actor form a run: the path and sender
// are written once, then the messages as one array. A run of flat messages of one shape goes as
// columns (columns.ts: far cheaper to clone than objects); otherwise the array is structured
// cloned, or, for JSON-wire actors, sent as one JSON text (cheaper to clone than objects).

import { jsonRefCount } from '../actor/ref.ts';
import { encodeColumns } from './columns.ts';

import { K_MAIL, K_REPLY, K_SYS, K_RUN, K_JRUN, RUN, JRUN } from './wire.ts';

// The encoder half of the wire format (threads/wire.ts names the record layouts and decodes).
export { K_MAIL, K_REPLY, K_SYS, K_HOST, K_RUN, K_JRUN } from './wire.ts';

/** Messages per batch before it is posted early (bounds latency and clone size). */
export const FLUSH_AT = 16_384;

export class Outbox {
  records: unknown[] = [];
  /** Messages and records gathered so far. */
  size = 0;
  private runAt = -1;
  private runKind = -1;
  private runTo = '';
  private runFrom: string | null = null;
  /** Where each K_RUN record of this batch starts. */
  private runs: number[] = [];
  private jsonRuns: { at: number; msgs: unknown[] }[] = [];

  private sameRun(kind: number, to: string, fromPath: string | null): boolean {
    return this.runAt >= 0 && this.runKind === kind && this.runTo === to && this.runFrom === fromPath;
  }

  private openRun(kind: number, to: string, fromPath: string | null): void {
    this.runAt = this.records.length;
    this.runKind = kind;
    this.runTo = to;
    this.runFrom = fromPath;
  }

  /** Adds a plain tell (no ask, default priority). */
  tell(to: string, msg: unknown, fromPath: string | null, fromThread: number): void {
    this.size++;
    if (this.sameRun(K_RUN, to, fromPath)) {
      (this.records[this.runAt + RUN.body] as unknown[]).push(msg);
      return;
    }
    this.openRun(K_RUN, to, fromPath);
    this.runs.push(this.records.length);
    this.records.push(K_RUN, to, fromPath, fromThread, [msg]);
  }

  /**
   * Adds a plain tell to a JSON-wire target. The run is stringified as one array at take():
   * one JSON.stringify per batch is ~2x cheaper than one per message.
   */
  tellJson(to: string, msg: unknown, fromPath: string | null, fromThread: number): void {
    this.size++;
    if (this.sameRun(K_JRUN, to, fromPath)) {
      this.jsonRuns[this.jsonRuns.length - 1].msgs.push(msg);
      return;
    }
    this.openRun(K_JRUN, to, fromPath);
    this.jsonRuns.push({ at: this.records.length, msgs: [msg] });
    this.records.push(K_JRUN, to, fromPath, fromThread, null, 0);
  }

  mail(to: string, msg: unknown, fromPath: string | null, fromThread: number, askId: number, priority: number): void {
    this.runAt = -1;
    this.size++;
    this.records.push(K_MAIL, to, msg, fromPath, fromThread, askId, priority);
  }

  record(kind: number, a: unknown, b?: unknown, c?: unknown): void {
    this.runAt = -1;
    this.size++;
    if (kind === K_REPLY) this.records.push(kind, a, b, c);
    else if (kind === K_SYS) this.records.push(kind, a, b);
    else this.records.push(kind, a);
  }

  /** Hands over the gathered records and starts a new batch. */
  take(): unknown[] {
    const r = this.records;
    for (const at of this.runs) {
      const cols = encodeColumns(r[at + RUN.body] as unknown[], 'clone');
      if (cols !== null) r[at + RUN.body] = cols;
    }
    this.runs = [];
    for (const j of this.jsonRuns) {
      const cols = encodeColumns(j.msgs, 'json');
      if (cols !== null) {
        r[j.at + JRUN.body] = cols; // flat messages of one shape: no refs inside
        r[j.at + JRUN.hasRefs] = 0;
        continue;
      }
      const refsBefore = jsonRefCount.n;
      try {
        r[j.at + JRUN.body] = JSON.stringify(j.msgs);
      } catch {
        r[j.at + JRUN.body] = j.msgs; // not JSON after all (a BigInt, a cycle): structured clone takes it
      }
      r[j.at + JRUN.hasRefs] = jsonRefCount.n > refsBefore || typeof r[j.at + JRUN.body] !== 'string' ? 1 : 0;
    }
    this.jsonRuns = [];
    this.records = [];
    this.runAt = -1;
    this.size = 0;
    return r;
  }
}
