// Mail bound for one other thread, gathered during a turn and posted as one flat array.
// Consecutive plain tells from the same sender to the same actor form a run: the path and sender
// are written once, then only the messages, so structured clone handles ~1 value per message.

export const K_MAIL = 0; // to, msg, fromPath, fromThread, askId, priority
export const K_REPLY = 1; // askId, ok, value
export const K_SYS = 2; // to, sysMsg
export const K_HOST = 3; // hostMsg
export const K_RUN = 4; // to, fromPath, fromThread, count, msg × count

/** Records per batch before it is posted early (bounds latency and clone size). */
export const FLUSH_AT = 16_384;

export class Outbox {
  records: unknown[] = [];
  private runAt = -1;
  private runTo = '';
  private runFrom: string | null = null;

  /** Adds a plain tell (no ask, default priority). */
  tell(to: string, msg: unknown, fromPath: string | null, fromThread: number): void {
    const r = this.records;
    if (this.runAt >= 0 && this.runTo === to && this.runFrom === fromPath) {
      r.push(msg);
      (r[this.runAt + 4] as number)++;
      return;
    }
    this.runAt = r.length;
    this.runTo = to;
    this.runFrom = fromPath;
    r.push(K_RUN, to, fromPath, fromThread, 1, msg);
  }

  mail(to: string, msg: unknown, fromPath: string | null, fromThread: number, askId: number, priority: number): void {
    this.runAt = -1;
    this.records.push(K_MAIL, to, msg, fromPath, fromThread, askId, priority);
  }

  record(kind: number, a: unknown, b?: unknown, c?: unknown): void {
    this.runAt = -1;
    if (kind === K_REPLY) this.records.push(kind, a, b, c);
    else if (kind === K_SYS) this.records.push(kind, a, b);
    else this.records.push(kind, a);
  }

  /** Hands over the gathered records and starts a new batch. */
  take(): unknown[] {
    const r = this.records;
    this.records = [];
    this.runAt = -1;
    return r;
  }
}
