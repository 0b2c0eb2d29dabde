// Semantic validation of broker arguments (broker.md §6.2). These are not framing errors: they
// become error replies (-2, -3, -4) while the link stays open. Each check returns null when the value
// is fine, or the code and a description that names the limit and the actual value.

import { Buffer } from 'node:buffer';
import { BROKER_ERRORS, MAX_ID, type BrokerErrorInfo, type BrokerRequest } from './types.ts';

export interface BrokerLimits {
  /** Longest topic name in characters (default 100). */
  maxTopicLength: number;
  /** Largest message in UTF-8 bytes (default 65 536). */
  maxMessageBytes: number;
  /** Longest recv timeout in ms (default 86 400 000). */
  maxTimeoutMs: number;
}

export const DEFAULT_LIMITS: BrokerLimits = { maxTopicLength: 100, maxMessageBytes: 65_536, maxTimeoutMs: 86_400_000 };

function quote(s: string): string {
  return JSON.stringify(s.length > 120 ? s.slice(0, 120) + '…' : s);
}

function describeChar(c: string): string {
  const cp = c.codePointAt(0) as number;
  if (cp < 0x20 || cp === 0x7f) return `control character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${c}'`;
}

const TOPIC_OK = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** 1..max characters from A-Z a-z 0-9 . _ -; first character a letter, a digit or '_'. */
export function validateTopic(topic: string, limits: Pick<BrokerLimits, 'maxTopicLength'> = DEFAULT_LIMITS): BrokerErrorInfo | null {
  const code = BROKER_ERRORS.INVALID_TOPIC;
  if (topic.length === 0) return { code, description: 'topic is empty (1 to ' + limits.maxTopicLength + ' characters)' };
  if (topic.length > limits.maxTopicLength) {
    return { code, description: `topic is ${topic.length} characters; limit is ${limits.maxTopicLength}` };
  }
  if (TOPIC_OK.test(topic)) return null; // the common case in one test; the loop below names what is wrong
  for (const c of topic) {
    if (!/^[A-Za-z0-9._-]$/.test(c)) {
      return { code, description: `topic ${quote(topic)} contains ${describeChar(c)} (allowed: A-Z a-z 0-9 . _ -)` };
    }
  }
  if (!/^[A-Za-z0-9_]/.test(topic)) {
    return { code, description: `topic ${quote(topic)} must start with a letter, a digit or '_'` };
  }
  return null;
}

/** An id given as text (CLI): decimal 1 .. 2^53-1, no sign, spaces or trailing characters. */
export function parseId(text: string): number | BrokerErrorInfo {
  const code = BROKER_ERRORS.INVALID_ARGUMENT;
  if (!/^[0-9]+$/.test(text)) return { code, description: `id ${quote(text)} is not a decimal integer` };
  const n = Number(text);
  if (n < 1 || n > MAX_ID) return { code, description: `id ${text} is out of range 1..${MAX_ID}` };
  return n;
}

export function validateId(id: number): BrokerErrorInfo | null {
  if (Number.isSafeInteger(id) && id >= 1) return null;
  return { code: BROKER_ERRORS.INVALID_ARGUMENT, description: `id ${id} is out of range 1..${MAX_ID}` };
}

export function validateMessage(msg: string, limits: Pick<BrokerLimits, 'maxMessageBytes'> = DEFAULT_LIMITS): BrokerErrorInfo | null {
  // a JS string with a lone surrogate is not valid UTF-8 text
  if (!(msg as unknown as { isWellFormed(): boolean }).isWellFormed()) return { code: BROKER_ERRORS.INVALID_ARGUMENT, description: 'message is not valid UTF-8 text' };
  if (msg.length * 3 <= limits.maxMessageBytes) return null; // cannot be over the limit
  const size = Buffer.byteLength(msg, 'utf8');
  if (size > limits.maxMessageBytes) {
    return { code: BROKER_ERRORS.MESSAGE_TOO_LARGE, description: `message is ${size} bytes; limit is ${limits.maxMessageBytes}` };
  }
  return null;
}

export function validateTimeout(ms: number, limits: Pick<BrokerLimits, 'maxTimeoutMs'> = DEFAULT_LIMITS): BrokerErrorInfo | null {
  if (Number.isInteger(ms) && ms >= 0 && ms <= limits.maxTimeoutMs) return null;
  return { code: BROKER_ERRORS.INVALID_ARGUMENT, description: `timeoutMs must be 0..${limits.maxTimeoutMs}, got ${ms}` };
}

/** Every argument rule of one request; the first violation, or null. */
export function validateRequest(req: BrokerRequest, limits: BrokerLimits = DEFAULT_LIMITS): BrokerErrorInfo | null {
  if (req.type === 'create') return null;
  const id = validateId(req.id);
  if (id !== null) return id;
  switch (req.type) {
    case 'publish':
      return validateTopic(req.topic, limits) ?? validateMessage(req.msg, limits);
    case 'subscribe':
    case 'unsubscribe':
      return validateTopic(req.topic, limits);
    case 'recv':
      return req.timeoutMs === undefined ? null : validateTimeout(req.timeoutMs, limits);
    case 'destroy':
      return null;
  }
}
