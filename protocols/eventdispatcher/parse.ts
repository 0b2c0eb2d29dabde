// fromMessage (eventdispatcher.md §1.4): the string form, and the JSON form when the trimmed input
// starts with `{` (delegated to json.ts). Never throws for bad input: returns a ParseResult.

import { Buffer } from 'node:buffer';
import { InvalidMessageError, Reject } from './errors.ts';
import { unescapeValue } from './escape.ts';
import { parseJsonMessage } from './json.ts';
import { isBaseName, verifyCommand, verifyDestination, verifySentFrom } from './names.ts';
import { trimBounds } from './trim.ts';
import type { MessageFields, ParseOptions, ParseResult } from './types.ts';

/** UTF-8 byte offset of UTF-16 index `index` of `text`. */
export function byteOffset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), 'utf8');
}

/** Parse one message (string or JSON form). */
export function parseMessage(input: string, options: ParseOptions = {}): ParseResult {
  const strict = options.mode === 'strict';
  const [start, end] = trimBounds(input);
  if (start === end) return { ok: false, error: new InvalidMessageError('message is empty', byteOffset(input, start)) };
  const text = start === 0 && end === input.length ? input : input.slice(start, end);
  if (text.charCodeAt(0) === 0x7b) return parseJsonMessage(text, strict, (i) => byteOffset(input, start + i));
  try {
    const fields = parseString(text, strict);
    return { ok: true, fields, notices: [] };
  } catch (e) {
    if (e instanceof Reject) {
      return { ok: false, error: new InvalidMessageError(e.detail, byteOffset(input, start + e.at)) };
    }
    throw e;
  }
}

/**
 * The string form only: no JSON dispatch (so a JSON text fails here, as in upstream's string parser).
 */
export function parseStringMessage(input: string, options: ParseOptions = {}): ParseResult {
  const [start, end] = trimBounds(input);
  if (start === end) return { ok: false, error: new InvalidMessageError('message is empty', byteOffset(input, start)) };
  const text = start === 0 && end === input.length ? input : input.slice(start, end);
  try {
    return { ok: true, fields: parseString(text, options.mode === 'strict'), notices: [] };
  } catch (e) {
    if (e instanceof Reject) return { ok: false, error: new InvalidMessageError(e.detail, byteOffset(input, start + e.at)) };
    throw e;
  }
}

function parseString(input: string, strict: boolean): MessageFields {
  let s = input;
  const nul = s.indexOf('\0');
  if (nul !== -1) {
    // P2: upstream parses a C string, so a NUL ends the input
    if (strict) throw new Reject('a NUL character is not allowed in a message (strict mode)', nul);
    s = s.slice(0, nul);
  }
  const end = s.length;
  let pos = 0;

  // sent-from: "<" server [":" service] " "
  let sentFromServer = '';
  let sentFromService = '';
  if (s.charCodeAt(0) === 0x3c) {
    pos = 1;
    let i = pos;
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x3a) break;
      if (c === 0x20) throw new Reject('a space is not allowed in the sent-from server name', i);
    }
    sentFromServer = s.slice(pos, i);
    pos = i;
    if (pos < end) {
      pos++;
      const sp = s.indexOf(' ', pos);
      const j = sp === -1 ? end : sp;
      sentFromService = s.slice(pos, j);
      pos = j;
    }
    if (pos >= end) throw new Reject('nothing follows the sent-from field', pos);
    pos++;
  }

  // destination and command: [[server ":"] service "/"] command
  let server = '';
  let service = '';
  let hasServer = false;
  let hasService = false;
  let start = pos;
  for (; pos < end; pos++) {
    const c = s.charCodeAt(pos);
    if (c === 0x20) break;
    if (c === 0x3a) {
      if (hasServer || hasService) throw new Reject("a ':' cannot appear after a server or a service", pos);
      if (pos === start) throw new Reject("the server name before ':' is empty", pos);
      server = s.slice(start, pos);
      hasServer = true;
      start = pos + 1;
    } else if (c === 0x2f) {
      if (hasService) throw new Reject("a service can be defined only once ('/' seen twice)", pos);
      if (pos === start) throw new Reject("the service name before '/' is empty", pos);
      service = s.slice(start, pos);
      hasService = true;
      start = pos + 1;
    }
  }
  const command = s.slice(start, pos);
  if (command === '') throw new Reject('the command is empty', pos);

  const parameters = new Map<string, string>();
  if (pos < end) {
    pos++; // the single space before the parameters
    while (pos < end) {
      const eq = s.indexOf('=', pos);
      const nameEnd = eq === -1 ? end : eq;
      const name = s.slice(pos, nameEnd);
      if (!isBaseName(name)) {
        throw new Reject(
          name === '' ? 'a parameter name is empty' : `invalid parameter name "${name}" (expected [A-Za-z_][A-Za-z0-9_]*)`,
          pos,
        );
      }
      if (eq === -1) throw new Reject(`parameter "${name}" has no '='`, end);
      pos = eq + 1;
      let raw: string;
      if (s.charCodeAt(pos) === 0x22) {
        // quoted: up to the next '"' not preceded by '\'
        const open = pos;
        let q = s.indexOf('"', open + 1);
        while (q !== -1 && q - 1 > open && s.charCodeAt(q - 1) === 0x5c) q = s.indexOf('"', q + 1);
        if (q === -1) throw new Reject(`the quoted value of parameter "${name}" is not terminated`, open);
        raw = s.slice(open + 1, q);
        if (raw.includes('\\"')) raw = raw.replaceAll('\\"', '"');
        pos = q + 1;
        if (pos < end && s.charCodeAt(pos) !== 0x3b) {
          throw new Reject(`expected ';' after the quoted value of parameter "${name}"`, pos);
        }
      } else {
        const semi = s.indexOf(';', pos);
        const stop = semi === -1 ? end : semi;
        raw = s.slice(pos, stop);
        pos = stop;
      }
      if (pos < end) pos++; // the ';'
      parameters.set(name, unescapeValue(raw));
    }
  }

  if (strict) {
    // P1: strict mode enforces the setter rules of §1.2 on the header fields
    try {
      verifyCommand(command);
      verifyDestination(server);
      verifyDestination(service);
      verifySentFrom(sentFromServer);
      verifySentFrom(sentFromService);
    } catch (e) {
      if (e instanceof InvalidMessageError) throw new Reject(`${e.detail} (strict mode)`, 0);
      throw e;
    }
  }
  return { sentFromServer, sentFromService, server, service, command, parameters };
}
