// The dispatcher's `legacy-tx` protocol (dispatcher.md §4.2): the original's seven-field JSON
// transaction, its reader-side normalisation and validation, and its byte-exact reply layout.
//
// Pure functions, no I/O. Decoding never throws: a frame that is not a JSON object is
// `malformed` and still gets a reply (the echo shape with empty headers).

import { Buffer } from 'node:buffer';

/** The normalised seven-field transaction (request and reply share the shape). */
export interface LegacyTx {
  TERF: number;
  TERL: number;
  GUID: string;
  PID: string;
  AID: string;
  CABX: string;
  MSG: string;
}

/** Byte limits of the text headers (the original's fixed-size C fields minus the NUL). */
export const LEGACY_LIMITS = { GUID: 9, PID: 9, AID: 7, CABX: 7 } as const;

/** Suffix the built-in service appends: a space, `OK - TX DONE`, two `!`, a space. */
export const TX_DONE_SUFFIX = ' OK - TX DONE!! ';

export type LegacyErrorCode = 'BUSY' | 'TIMEOUT' | 'WORKER_FAILED' | 'SHUTDOWN';

export type LegacyDecoded =
  /** Passes validation: goes to a worker. */
  | { kind: 'valid'; tx: LegacyTx }
  /** Parsed but fails validation: answered at once with `reply` (the echo). */
  | { kind: 'invalid'; tx: LegacyTx; reply: string }
  /** Not a JSON object: answered at once with `reply`. */
  | { kind: 'malformed'; text: string; reply: string };

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** TERF/TERL: truncate toward zero to int32; booleans 1/0; anything else (or out of range) 0. */
export function normaliseInt(v: unknown): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 0;
    const t = Math.trunc(v);
    if (t < INT32_MIN || t > INT32_MAX) return 0;
    return t === 0 ? 0 : t; // no -0
  }
  if (v === true) return 1;
  return 0;
}

/** Cuts a string at its first U+0000 (the C strings of the original ended there). */
export function cutAtNul(s: string): string {
  const i = s.indexOf('\u0000');
  return i === -1 ? s : s.slice(0, i);
}

/**
 * The longest prefix of `s` whose UTF-8 encoding fits in `maxBytes`, cut at a code-point
 * boundary (a lone surrogate counts as the 3 bytes of U+FFFD, which is how it would be encoded).
 */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (s.length <= maxBytes && isAscii(s)) return s;
  let bytes = 0;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    let size: number;
    let units = 1;
    if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        size = 4;
        units = 2;
      } else size = 3;
    } else size = 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += units;
  }
  return i === n ? s : s.slice(0, i);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function text(v: unknown, limit: number): string {
  return typeof v === 'string' ? truncateUtf8(cutAtNul(v), limit) : '';
}

/** Normalises any parsed JSON object to the seven fields (§4.2.1). Extra keys are dropped. */
export function normalise(o: Record<string, unknown>): LegacyTx {
  const msg = o.MSG;
  return {
    TERF: normaliseInt(o.TERF),
    TERL: normaliseInt(o.TERL),
    GUID: text(o.GUID, LEGACY_LIMITS.GUID),
    PID: text(o.PID, LEGACY_LIMITS.PID),
    AID: text(o.AID, LEGACY_LIMITS.AID),
    CABX: text(o.CABX, LEGACY_LIMITS.CABX),
    MSG: typeof msg === 'string' ? cutAtNul(msg) : '',
  };
}

/** Validation after normalisation (§4.2.2). */
export function isValid(tx: LegacyTx): boolean {
  return tx.TERF !== 0 && tx.TERL !== 0 && tx.GUID !== '' && tx.PID !== '' && tx.AID !== '' && tx.CABX !== '' && tx.MSG !== '';
}

const EMPTY_TX: LegacyTx = { TERF: 0, TERL: 0, GUID: '', PID: '', AID: '', CABX: '', MSG: '' };

/** Decodes one complete frame (without its length prefix or line terminator). Never throws. */
export function decodeLegacy(frame: Uint8Array): LegacyDecoded {
  return decodeLegacyText(Buffer.isBuffer(frame) ? frame.toString('utf8') : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('utf8'));
}

/** The same for a frame already decoded as UTF-8 text. */
export function decodeLegacyText(raw: string): LegacyDecoded {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { kind: 'malformed', text: raw, reply: serialiseLegacy({ ...EMPTY_TX, MSG: raw }) };
  }
  const tx = normalise(parsed as Record<string, unknown>);
  if (isValid(tx)) return { kind: 'valid', tx };
  return { kind: 'invalid', tx, reply: serialiseLegacy({ ...tx, MSG: raw }) };
}

/** The built-in service's reply (§4.2.4). */
export function txDone(tx: LegacyTx): LegacyTx {
  return { ...tx, MSG: tx.MSG + TX_DONE_SUFFIX };
}

/** `BUSY`, `TIMEOUT`, `WORKER_FAILED`, `SHUTDOWN` replies (§4.2.5). */
export function errorTx(tx: LegacyTx, code: LegacyErrorCode): LegacyTx {
  return { ...tx, MSG: `${tx.MSG} ERROR - ${code} ` };
}

/**
 * What a real service (`module` or `process` handler) returned, as a reply: a string is the
 * new `MSG` with the request's headers; an object is normalised like a request. Anything else
 * is `null` (the caller answers WORKER_FAILED).
 */
export function replyFromService(request: LegacyTx, value: unknown): LegacyTx | null {
  if (typeof value === 'string') return { ...request, MSG: cutAtNul(value) };
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return normalise(value as Record<string, unknown>);
  return null;
}

// ---- serialisation (§4.2.6) ----------------------------------------------------------------

const HEX = '0123456789abcdef';

function u4(c: number): string {
  return '\\u' + HEX[(c >> 12) & 15] + HEX[(c >> 8) & 15] + HEX[(c >> 4) & 15] + HEX[c & 15];
}

/**
 * A JSON string literal in the original's style: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other
 * controls as `\u00xx`, every UTF-16 unit at or above U+0080 as lowercase `\uxxxx` (so characters
 * above the BMP become surrogate pairs). `/` is not escaped. The result is pure ASCII.
 */
export function quoteLegacy(s: string): string {
  const n = s.length;
  let out = '"';
  let start = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c) continue;
    if (i > start) out += s.slice(start, i);
    start = i + 1;
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      default:
        out += u4(c);
    }
  }
  if (start < n) out += start === 0 ? s : s.slice(start);
  return out + '"';
}

function int(v: number): string {
  // Plain decimal; normalised values are int32 already, but be safe for any caller.
  return String(normaliseInt(v));
}

/** The reply bytes as an ASCII string: `{` + seven `⇥"KEY" : value` entries joined by `,` + `}`. */
export function serialiseLegacy(r: LegacyTx): string {
  return (
    '{\t"AID" : ' +
    quoteLegacy(r.AID) +
    ',\t"CABX" : ' +
    quoteLegacy(r.CABX) +
    ',\t"GUID" : ' +
    quoteLegacy(r.GUID) +
    ',\t"MSG" : ' +
    quoteLegacy(r.MSG) +
    ',\t"PID" : ' +
    quoteLegacy(r.PID) +
    ',\t"TERF" : ' +
    int(r.TERF) +
    ',\t"TERL" : ' +
    int(r.TERL) +
    '}'
  );
}

/** Key order of a serialised reply (fixed). */
export const LEGACY_KEY_ORDER = ['AID', 'CABX', 'GUID', 'MSG', 'PID', 'TERF', 'TERL'] as const;
