// Typed parameter values (eventdispatcher.md §1.9): integers, timespecs and addresses, as text.
// Formatting throws InvalidParameterError for values that cannot be represented; parsing returns
// null for text that is not a valid value (the Message getters turn that into an error).

import { InvalidParameterError } from './errors.ts';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const INTEGER = /^[+-]?[0-9]+$/;

/** Decimal text of a safe-integer number or an int64 bigint. */
export function formatInteger(value: number | bigint): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new InvalidParameterError(`${value} is not a safe integer`);
    return String(value);
  }
  if (value < INT64_MIN || value > INT64_MAX) throw new InvalidParameterError(`${value} does not fit in a 64-bit integer`);
  return value.toString();
}

/** `[+-]?[0-9]+` within int64 (`+101` -> 101n); null for anything else (spaces, "", "1.5"). */
export function parseInteger(text: string): bigint | null {
  if (!INTEGER.test(text)) return null;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

export interface Timespec {
  /** Seconds (may be negative). */
  sec: number;
  /** Nanoseconds 0..999,999,999. */
  nsec: number;
}

function checkTimespec(ts: Timespec): void {
  if (!Number.isSafeInteger(ts.sec)) throw new InvalidParameterError(`timespec seconds ${ts.sec} is not a safe integer`);
  if (!Number.isInteger(ts.nsec) || ts.nsec < 0 || ts.nsec > 999_999_999) {
    throw new InvalidParameterError(`timespec nanoseconds ${ts.nsec} must be an integer in 0..999999999`);
  }
}

/** `sec.fraction`: 9 digits with trailing zeros removed, no '.' when nsec = 0 (`1700000000.5`). */
export function formatTimespec(ts: Timespec): string {
  checkTimespec(ts);
  if (ts.nsec === 0) return String(ts.sec);
  return `${ts.sec}.${String(ts.nsec).padStart(9, '0').replace(/0+$/, '')}`;
}

/** `sec.fraction` with exactly 9 digits (ABSOLUTELY's reply_timestamp). */
export function formatTimespecFixed(ts: Timespec): string {
  checkTimespec(ts);
  return `${ts.sec}.${String(ts.nsec).padStart(9, '0')}`;
}

const TIMESPEC = /^(-?[0-9]+)(?:\.([0-9]{1,9}))?$/;

/** Inverse of formatTimespec (also accepts 1..9 fraction digits); null when invalid. */
export function parseTimespec(text: string): Timespec | null {
  const m = TIMESPEC.exec(text);
  if (m === null) return null;
  const sec = Number(m[1]);
  if (!Number.isSafeInteger(sec)) return null;
  const nsec = m[2] === undefined ? 0 : Number(m[2].padEnd(9, '0'));
  return { sec: Object.is(sec, -0) ? 0 : sec, nsec };
}

/** Microseconds since the epoch (the runtime's time unit) -> timespec. */
export function timespecFromMicros(us: number): Timespec {
  const sec = Math.floor(us / 1_000_000);
  return { sec, nsec: (us - sec * 1_000_000) * 1000 };
}

export interface IpAddress {
  /** IPv4 dotted quad or IPv6 text (without brackets). */
  ip: string;
  port: number;
  /** Optional mask, same family as `ip` (used by the "with mask" form). */
  mask?: string;
}

export function isIPv4(text: string): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return false;
  }
  return true;
}

export function isIPv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  let s = text;
  let groupsWanted = 8;
  // an embedded IPv4 tail takes two groups
  const lastColon = s.lastIndexOf(':');
  if (lastColon !== -1 && s.indexOf('.', lastColon) !== -1) {
    if (!isIPv4(s.slice(lastColon + 1))) return false;
    s = s.slice(0, lastColon + 1) + '0';
    groupsWanted = 7;
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const group = /^[0-9a-fA-F]{1,4}$/;
  const count = (h: string): number => {
    if (h === '') return 0;
    const g = h.split(':');
    for (const x of g) if (!group.test(x)) return -1;
    return g.length;
  };
  if (halves.length === 1) return count(halves[0]) === groupsWanted;
  const a = count(halves[0]);
  const b = count(halves[1]);
  return a >= 0 && b >= 0 && a + b < groupsWanted;
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidParameterError(`port ${port} must be 0..65535`);
}

/**
 * `127.0.0.1:4040` or `[::1]:4040`. With `withMask` (and a mask given) the full form
 * `127.0.0.1:4040/255.255.255.0` or `[::1]:4040/[ffff:...]`.
 */
export function formatAddress(address: IpAddress, withMask = false): string {
  checkPort(address.port);
  const v6 = isIPv6(address.ip);
  if (!v6 && !isIPv4(address.ip)) throw new InvalidParameterError(`"${address.ip}" is not an IP address`);
  let out = v6 ? `[${address.ip}]:${address.port}` : `${address.ip}:${address.port}`;
  if (withMask && address.mask !== undefined) {
    if (v6 ? !isIPv6(address.mask) : !isIPv4(address.mask)) throw new InvalidParameterError(`"${address.mask}" is not a valid mask`);
    out += v6 ? `/[${address.mask}]` : `/${address.mask}`;
  }
  return out;
}

/**
 * `ip[:port]` (`[v6]:port`, `[v6]`, a bare IPv6, or IPv4 with an optional port); the port defaults to
 * `defaultPort`. Null when invalid. Host names are not resolved (protocols/ does no I/O).
 */
export function parseAddress(text: string, defaultPort = 0): IpAddress | null {
  let ip: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) return null;
    ip = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return null;
      portText = rest.slice(1);
    }
    if (!isIPv6(ip)) return null;
  } else if (isIPv6(text)) {
    ip = text;
  } else {
    const colon = text.indexOf(':');
    ip = colon === -1 ? text : text.slice(0, colon);
    if (colon !== -1) portText = text.slice(colon + 1);
    if (!isIPv4(ip)) return null;
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText)) return null;
    port = Number(portText);
    if (port > 65535) return null;
  }
  return { ip, port };
}
