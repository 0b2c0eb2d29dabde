// The dispatcher's native `json` protocol (dispatcher.md §4.1): any JSON value is a request,
// replies are compact JSON, errors are `{"error":{"code":"<CODE>","message":"…"}}`.
// Pure functions, no I/O; decoding never throws.

import { Buffer } from 'node:buffer';

export type JsonErrorCode = 'MALFORMED' | 'BUSY' | 'TIMEOUT' | 'WORKER_FAILED' | 'SHUTDOWN';

export type JsonDecoded = { kind: 'valid'; value: unknown; text: string } | { kind: 'malformed'; text: string; reply: string };

export function jsonError(code: JsonErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** A frame's UTF-8 text. */
export function frameText(frame: Uint8Array): string {
  return Buffer.isBuffer(frame) ? frame.toString('utf8') : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('utf8');
}

/** The reply to a frame that is not JSON (always the same text). */
export const MALFORMED_JSON_REPLY = jsonError('MALFORMED', 'the frame is not valid JSON');

export function decodeJson(frame: Uint8Array): JsonDecoded {
  const text = frameText(frame);
  try {
    return { kind: 'valid', value: JSON.parse(text), text };
  } catch {
    return { kind: 'malformed', text, reply: MALFORMED_JSON_REPLY };
  }
}

/**
 * A valid JSON text on one line: raw CR/LF can only be whitespace in valid JSON (inside strings
 * they are escaped), so they become spaces. For line-based transports (ndjson stdio).
 */
export function oneLine(validJson: string): string {
  return validJson.includes('\n') || validJson.includes('\r') ? validJson.replace(/[\r\n]/g, ' ') : validJson;
}

/** Compact JSON of a handler's value (`undefined` becomes `null`); null when it cannot be serialised. */
export function serialiseJson(value: unknown): string | null {
  try {
    const s = JSON.stringify(value === undefined ? null : value);
    return typeof s === 'string' ? s : null;
  } catch {
    return null;
  }
}
