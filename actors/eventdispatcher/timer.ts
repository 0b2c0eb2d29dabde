// The timeout every connection can carry (eventdispatcher.md §3.5): a periodic, non-slipping delay
// on the grid start + k*delay (a late tick moves to the first grid point strictly after now:
// missed ticks are skipped, never replayed) and an absolute one-shot date that has priority.

import { ParameterError, type Timespec } from '../../protocols/eventdispatcher/index.ts';

export class ConnectionTimer {
  #delay = -1;
  #start = 0;
  #next = -1;
  #date = -1;

  /** `-1` turns the delay off; otherwise at least 10 µs; ticks at now + k*us. */
  setTimeoutDelay(us: number | Timespec, nowUs: number): void {
    if (typeof us !== 'number') us = us.sec * 1_000_000 + Math.floor(us.nsec / 1000);
    if (us === -1) {
      this.#delay = -1;
      this.#next = -1;
      return;
    }
    if (!Number.isFinite(us) || us < 10) {
      throw new ParameterError(`connection::set_timeout_delay(): timeout_us parameter cannot be less than 10 unless it is exactly -1, ${us} is not valid.`);
    }
    this.#delay = us;
    this.#start = nowUs;
    this.#next = nowUs + us;
  }

  /** An absolute one-shot (µs since the epoch); -1 = off. */
  setTimeoutDate(us: number): void {
    if (!Number.isFinite(us) || us < -1) {
      throw new ParameterError(`connection::set_timeout_date(): date_us parameter cannot be less than -1, ${us} is not valid.`);
    }
    this.#date = us;
  }

  /** Timer construction: 0 = one-shot on the first round, -1 = none, > 0 = periodic. */
  static create(us: number, nowUs: number): ConnectionTimer {
    const t = new ConnectionTimer();
    if (us === 0) t.setTimeoutDate(nowUs);
    else if (us > 0) t.setTimeoutDelay(us, nowUs);
    return t;
  }

  get delay(): number {
    return this.#delay;
  }

  get date(): number {
    return this.#date;
  }

  /** The next time this timer is due (µs), or -1 when nothing is armed. The date wins while set. */
  deadline(): number {
    if (this.#date !== -1) return this.#date;
    return this.#delay === -1 ? -1 : this.#next;
  }

  /**
   * Consumes a due timeout at `nowUs`: 'date' (reset to -1 before the caller runs its callback),
   * 'delay' (the next tick moves to the first grid point strictly after now), or null when the
   * timer is not due. `deadline` is the value frozen at the round's snapshot, if any.
   */
  fire(nowUs: number, deadline = this.deadline()): 'date' | 'delay' | null {
    if (deadline === -1 || deadline > nowUs) return null;
    if (this.#date !== -1) {
      if (this.#date > nowUs) return null;
      this.#date = -1;
      return 'date';
    }
    if (this.#delay === -1 || this.#next > nowUs) return null;
    this.#next = this.#start + (Math.floor((nowUs - this.#start) / this.#delay) + 1) * this.#delay;
    return 'delay';
  }
}
