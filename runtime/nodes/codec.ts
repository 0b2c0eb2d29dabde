// Frames between nodes: one MessagePack (msgpackr) array of records per frame, gathered per
// scheduler turn like the cross-thread batches. msgpackr was picked over node:v8 serialize after
// measuring both on batches of small messages (README: ~1.5x faster to encode, ~5x to decode, a
// third of the bytes); it keeps the structured-clone types actors use (Map, Set, Date, BigInt,
// typed arrays, undefined, Error) and only ever builds plain data on decode.
// A message that cannot cross (a function, a symbol, a WeakMap, WeakSet or Promise, a cycle) makes
// the encoder throw: there is no walk of every message before it is sent. Only then is the frame
// taken apart to refuse just those messages, with an error naming the field (`unsendable`).
// Nesting past the depth limit is checked where a message arrives (`withinDepth`), per message.

import { addExtension, Packr, Unpackr } from 'msgpackr';

export const W_MAIL = 0; // to, toThread, msg, fromPath, fromThread, askId, priority
export const W_REPLY = 1; // askId, ok, value
export const W_SYS = 2; // to, toThread, sysMsg
export const W_RUN = 4; // to, toThread, fromPath, fromThread, message array
export const W_CTRL = 6; // id, op, arg (inspection requests)
export const W_CTRL_REPLY = 7; // id, ok, value
export const W_EVENT = 8; // a runtime event (inspection stream)
export const W_BEAT = 9; // heartbeat (no fields)

export const DEFAULT_MAX_DEPTH = 64;

const refuse = (what: string) => (): never => {
  throw new Error(`${what} cannot be serialised`);
};
// msgpackr writes functions as nil and these as empty maps: make the encoder throw instead. The
// types never reach the wire; a peer that sends them gets its frame refused as malformed.
for (const [type, Class] of [[0x11, WeakMap], [0x12, WeakSet], [0x13, Promise]] as const) {
  addExtension({ Class, type, write: refuse(`a ${Class.name}`), unpack: refuse(`extension ${type}`) });
}
const packr = new Packr({ useRecords: true, moreTypes: true, writeFunction: refuse('a function') });
// A fresh Unpackr per link would also work: record definitions travel inside each frame.
const unpackr = new Unpackr({ useRecords: true, moreTypes: true, mapsAsObjects: false });

/** Throws when some value inside cannot cross (see `unsendable` for which and where). */
export function encodeFrame(records: unknown[]): Uint8Array {
  return packr.pack(records);
}

/**
 * Decodes a frame and checks that it is a list; throws a one-line reason when it is malformed.
 * Depth is checked per value by whoever takes the records apart (`withinDepth`): a message too
 * deep is refused alone, anything else too deep makes the frame malformed.
 */
export function decodeFrame(bytes: Uint8Array): unknown[] {
  let v: unknown;
  try {
    v = unpackr.unpack(bytes);
  } catch (err) {
    throw new Error(`malformed frame (${err instanceof RangeError ? 'nested too deep' : (err as Error).message})`);
  }
  if (!Array.isArray(v)) throw new Error(`malformed frame (expected a list of records, found ${typeof v})`);
  return v;
}

/** Whether `v` nests at most `left` levels of objects (the value itself is the first). */
export function withinDepth(v: unknown, left: number): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (left <= 0) return false;
  if (ArrayBuffer.isView(v)) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== null && typeof x === 'object' && !withinDepth(x, left - 1)) return false;
    }
    return true;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) if (!withinDepth(k, left - 1) || !withinDepth(x, left - 1)) return false;
    return true;
  }
  if (v instanceof Set) {
    for (const x of v) if (!withinDepth(x, left - 1)) return false;
    return true;
  }
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== null && typeof x === 'object' && !withinDepth(x, left - 1)) return false;
  }
  return true;
}

/**
 * Null when `msg` can cross to another node; otherwise why not, naming the field
 * (`field "job.callback" is a function`). Used once a frame failed to encode, to find and name
 * the messages that cannot cross.
 */
export function unsendable(msg: unknown, maxDepth = DEFAULT_MAX_DEPTH): string | null {
  if (sendable(msg, maxDepth)) {
    try {
      packr.pack(msg);
      return null;
    } catch (err) {
      return `the message cannot be serialised (${(err as Error).message})`;
    }
  }
  return explain(msg, '', maxDepth, new Set()) ?? 'the message cannot be serialised';
}

function sendable(v: unknown, left: number): boolean {
  const t = typeof v;
  if (t === 'function' || t === 'symbol') return false;
  if (v === null || t !== 'object') return true;
  if (left <= 0) return false;
  if (ArrayBuffer.isView(v) || v instanceof Date || v instanceof RegExp || v instanceof Error) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!sendable(v[i], left - 1)) return false;
    return true;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) if (!sendable(k, left - 1) || !sendable(x, left - 1)) return false;
    return true;
  }
  if (v instanceof Set) {
    for (const x of v) if (!sendable(x, left - 1)) return false;
    return true;
  }
  if (v instanceof WeakMap || v instanceof WeakSet || v instanceof Promise) return false;
  for (const k in v as object) {
    const x = (v as Record<string, unknown>)[k];
    const tx = typeof x;
    // flat fields (the common case) are checked here without a call
    if (tx === 'number' || tx === 'string' || tx === 'boolean' || x === null || x === undefined) continue;
    if (!sendable(x, left - 1)) return false;
  }
  return true;
}

function explain(v: unknown, at: string, left: number, seen: Set<unknown>): string | null {
  const where = at === '' ? 'the message' : `field "${at}"`;
  const t = typeof v;
  if (t === 'function') return `${where} is a function`;
  if (t === 'symbol') return `${where} is a symbol`;
  if (v === null || t !== 'object') return null;
  if (seen.has(v)) return `${where} refers back to itself (a cycle)`;
  if (left <= 0) return `${where} is nested deeper than the limit`;
  if (ArrayBuffer.isView(v) || v instanceof Date || v instanceof RegExp || v instanceof Error) return null;
  if (v instanceof WeakMap || v instanceof WeakSet || v instanceof Promise) return `${where} is a ${v.constructor.name}`;
  seen.add(v);
  const sub = (k: string): string => (at === '' ? k : `${at}.${k}`);
  let r: string | null = null;
  if (Array.isArray(v)) for (let i = 0; r === null && i < v.length; i++) r = explain(v[i], sub(String(i)), left - 1, seen);
  else if (v instanceof Map) for (const [k, x] of v) r ??= explain(k, sub('<key>'), left - 1, seen) ?? explain(x, sub(String(k)), left - 1, seen);
  else if (v instanceof Set) for (const x of v) r ??= explain(x, sub('<item>'), left - 1, seen);
  else for (const k in v as object) r ??= explain((v as Record<string, unknown>)[k], sub(k), left - 1, seen);
  seen.delete(v);
  return r;
}
