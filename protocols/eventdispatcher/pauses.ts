// Pause list of permanent connections (eventdispatcher.md §4.1): parsing and the index walk.
// Pure: the connection actor arms its timer from the delays this returns.

import { InvalidParameterError } from './errors.ts';

/** Default pause: 60 seconds. */
export const DEFAULT_PAUSE_SECONDS = 60;
/** At most this many entries. */
export const MAX_PAUSES = 254;

const UNITS: Record<string, number> = {
  s: 1, second: 1, seconds: 1,
  m: 60, minute: 60, minutes: 60,
  h: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
  w: 604800, week: 604800, weeks: 604800,
  month: 2592000, months: 2592000,
  y: 31536000, year: 31536000, years: 31536000,
};

const NUMBER = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const SPACE = /\s/;

/**
 * One duration in seconds: a decimal number (sign and fraction allowed), optionally followed by
 * spaces and a unit: s/second(s), m/minute(s), h/hour(s), d/day(s), w/week(s), month(s) (30 days),
 * y/year(s) (365 days); units are case-insensitive. Null when invalid.
 */
export function parseDuration(text: string): number | null {
  let pos = text.length;
  while (pos > 0) {
    const c = text.charCodeAt(pos - 1);
    if ((c >= 48 && c <= 57) || c === 46) break;
    pos--;
  }
  if (pos === 0) return null;
  const number = text.slice(0, pos);
  let rest = pos;
  while (rest < text.length && SPACE.test(text[rest])) rest++;
  let factor = 1;
  if (rest < text.length) {
    const unit = text.slice(rest).toLowerCase();
    if (!Object.hasOwn(UNITS, unit)) return null;
    factor = UNITS[unit];
  }
  if (!NUMBER.test(number)) return null;
  const value = Number(number) * factor;
  return Number.isFinite(value) ? value : null;
}

/**
 * A comma-separated list of durations (items trimmed, empty items dropped) -> seconds, sign kept.
 * "" gives [60]. Throws InvalidParameterError(`pause duration "<d>" is not valid.`) or when there
 * are more than 254 entries.
 */
export function parsePauseList(text: string): number[] {
  const out: number[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    if (out.length >= MAX_PAUSES) throw new InvalidParameterError('too many pause durations, limit is 254.');
    const seconds = parseDuration(item);
    if (seconds === null) throw new InvalidParameterError(`pause duration "${item}" is not valid.`);
    out.push(seconds);
  }
  if (out.length === 0) out.push(DEFAULT_PAUSE_SECONDS);
  return out;
}

/**
 * The pause list and its cursor. A number argument is ONE entry in microseconds (the API unit); a
 * string is the configuration syntax in seconds (parsePauseList).
 */
export class PauseDurations {
  readonly #pauses: readonly number[];
  #index = 0;

  constructor(value: string | number = '') {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new InvalidParameterError(`pause duration "${value}" is not valid.`);
      this.#pauses = [value / 1_000_000];
    } else {
      this.#pauses = parsePauseList(value);
    }
    this.restart();
  }

  /** The entries in seconds (negative values kept as given). */
  get pauses(): readonly number[] {
    return this.#pauses;
  }

  /** Seconds to wait before the first attempt: |p[0]| if p[0] < 0, else 0. */
  initialDelay(): number {
    const first = this.#pauses[0];
    return first < 0 ? -first : 0;
  }

  /**
   * The next delay |p[i++]| in seconds, or -1 once the list is exhausted: the caller then keeps its
   * current delay, so the last one repeats. A 0 delay must not be armed ([0] tries once only).
   */
  nextDelay(): number {
    if (this.#index < this.#pauses.length) return Math.abs(this.#pauses[this.#index++]);
    return -1;
  }

  /** Back to index 1 if the list has more than one entry and p[0] <= 0, else index 0. */
  restart(): void {
    this.#index = this.#pauses.length > 1 && this.#pauses[0] <= 0 ? 1 : 0;
  }

  /** Current cursor (for tests and inspection). */
  get index(): number {
    return this.#index;
  }
}
