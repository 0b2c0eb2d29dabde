// Dead-letter accounting for one thread: a total, the last few for `inspect`, and rate-limited
// logging (the first ten, then one in a thousand: a flood must not become a log flood).

import type { Logger } from '../actor/types.ts';

export interface DeadLetterRow {
  at: string;
  to: string;
  reason: string;
}

const RECENT = 20;

export class DeadLetters {
  total = 0;
  readonly recent: DeadLetterRow[] = [];
  private logged = 0;
  private log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }

  count(to: string, n: number, why: string): void {
    this.total += n;
    if (this.recent.length >= RECENT) this.recent.shift();
    this.recent.push({ at: new Date().toISOString(), to, reason: n > 1 ? `${why} (x${n})` : why });
    if (this.logged < 10 || this.total % 1000 === 0) {
      this.logged++;
      this.log.warn('dead letter', { to, reason: why, total: this.total });
    }
  }
}
