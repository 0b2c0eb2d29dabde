// Plain data shapes of an event dispatcher message (eventdispatcher.md §1.1).

import type { InvalidMessageError } from './errors.ts';

/** `compat` (default) accepts exactly what upstream accepts; `strict` adds the rejections of §1.11. */
export type ParseMode = 'compat' | 'strict';

export interface ParseOptions {
  mode?: ParseMode;
}

/** The serialized fields of a message. Parameter values are always strings. */
export interface MessageFields {
  sentFromServer: string;
  sentFromService: string;
  server: string;
  service: string;
  command: string;
  parameters: Map<string, string>;
}

/**
 * Result of parsing (never throws for bad input). On failure `error.message` says what was wrong and
 * where (byte offset in the UTF-8 input). `notices` lists ignored JSON keys (upstream logs them at
 * NOTICE level); the caller logs, protocols/ does no I/O.
 */
export type ParseResult =
  | { ok: true; fields: MessageFields; notices: string[] }
  | { ok: false; error: InvalidMessageError };

export function emptyFields(): MessageFields {
  return { sentFromServer: '', sentFromService: '', server: '', service: '', command: '', parameters: new Map() };
}

/** The message version carried by `version=` (§1.9). */
export const MESSAGE_VERSION = 1;
