// Mail bound for one other thread, gathered during a turn and posted as one flat array.
// Consecutive plain tells from the same sender to the same actor form a run: the path and sender
// are written once, then only the messages, so structured clone handles ~1 value per message.
// Runs to JSON-wire actors carry their messages as one JSON array text instead (cheaper to clone).

import { jsonRefCount } from './ref.ts';

export const K_MAIL = 0; // to, msg, fromPath, fromThread, askId, priority
export const K_REPLY = 1; // askId, ok, value
export const K_SYS = 2; // to, sysMsg
export const K_HOST = 3; // hostMsg
export const K_RUN = 4; // to, fromPath, fromThread, count, msg × count
export const K_JRUN = 5; // to, fromPath, fromThread, JSON text of the message array (or the array), hasRefs

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
    const r = this.records;
    this.size++;
    if (this.sameRun(K_RUN, to, fromPath)) {
      r.push(msg);
      (r[this.runAt + 4] as number)++;
      return;
    }
    this.openRun(K_RUN, to, fromPath);
    r.push(K_RUN, to, fromPath, fromThread, 1, msg);
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
    for (const j of this.jsonRuns) {
      const refsBefore = jsonRefCount.n;
      try {
        r[j.at + 4] = JSON.stringify(j.msgs);
      } catch {
        r[j.at + 4] = j.msgs; // not JSON after all (a BigInt, a cycle): structured clone takes it
      }
      r[j.at + 5] = jsonRefCount.n > refsBefore || typeof r[j.at + 4] !== 'string' ? 1 : 0;
    }
    this.jsonRuns = [];
    this.records = [];
    this.runAt = -1;
    this.size = 0;
    return r;
  }
}
