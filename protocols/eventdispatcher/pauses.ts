// Pause list of permanent connections (eventdispatcher.md §4.1): the configuration syntax.
// The walk over it (and the exponential alternative) is the kernel's one reconnect policy,
// runtime/io/reconnect.ts.

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
    if (out.length >= MAX_PAUSES) throw new InvalidParameterError(`too many pause durations: a pause list has at most ${MAX_PAUSES} entries.`);
    const seconds = parseDuration(item);
    if (seconds === null) throw new InvalidParameterError(`pause duration "${item}" is not valid.`);
    out.push(seconds);
  }
  if (out.length === 0) out.push(DEFAULT_PAUSE_SECONDS);
  return out;
}
