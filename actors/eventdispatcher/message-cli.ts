// `actor-runtime message parse|format`: the event dispatcher message codec as a line filter
// (the command and its options are declared in commands.ts, which loads this file on use).
//
//   message parse [--strict]          one message per stdin line (string or JSON form) ->
//                                     {"ok":true,"message":{...}} or {"ok":false,"error":"..."}
//   message format [--json] [--strict] one {"sent_from_server":..,"command":..,"parameters":{..}}
//                                     object per line (or a `parse` output line) -> the string form,
//                                     the JSON form with --json, or {"ok":false,"error":"..."}
//
// Exactly empty lines are skipped (as on an event dispatcher stream); a CR before the LF is
// trimmed by the message parser. Exit code: 0 when every line succeeded, 1 otherwise.

import type { Writable } from 'node:stream';
import { ProtocolError } from '../../protocols/errors.ts';
import { LinesDecoder } from '../../protocols/framing/lines.ts';
import { Message } from '../../protocols/eventdispatcher/message.ts';
import { parseMessage } from '../../protocols/eventdispatcher/parse.ts';
import { isBaseName } from '../../protocols/eventdispatcher/names.ts';
import type { MessageFields, ParseMode } from '../../protocols/eventdispatcher/types.ts';

const DEFAULT_MAX_LINE = 16 * 1024 * 1024;

/** The `message` object of the CLI: five strings (empty when absent) and string parameters. */
export interface CliMessage {
  sent_from_server: string;
  sent_from_service: string;
  server: string;
  service: string;
  command: string;
  parameters: Record<string, string>;
}

export function toCliMessage(f: MessageFields): CliMessage {
  const parameters: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Message.fromFields(f, false).getAllParameters()) parameters[k] = v;
  return {
    sent_from_server: f.sentFromServer,
    sent_from_service: f.sentFromService,
    server: f.server,
    service: f.service,
    command: f.command,
    parameters,
  };
}

export interface LineResult {
  /** The output line, without newline. */
  text: string;
  ok: boolean;
}

/** One `parse` output line. */
export function parseLine(line: string, mode: ParseMode = 'compat'): LineResult {
  const r = parseMessage(line, { mode });
  if (!r.ok) return { ok: false, text: JSON.stringify({ ok: false, error: r.error.message }) };
  return { ok: true, text: JSON.stringify({ ok: true, message: toCliMessage(r.fields) }) };
}

const HEADER_KEYS = ['sent_from_server', 'sent_from_service', 'server', 'service', 'command'] as const;

class FormatError extends Error {}

function fieldsFromCli(value: unknown): MessageFields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FormatError('expected a JSON object');
  let o = value as Record<string, unknown>;
  // accept a `message parse` output line as well
  if (Object.hasOwn(o, 'ok') && Object.hasOwn(o, 'message')) {
    if (o.ok !== true) throw new FormatError('the input line is a failed parse result');
    o = o.message as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new FormatError('"message" must be an object');
  }
  for (const key of Object.keys(o)) {
    if (key !== 'parameters' && !(HEADER_KEYS as readonly string[]).includes(key)) throw new FormatError(`unknown key "${key}"`);
  }
  const header: Record<string, string> = {};
  for (const key of HEADER_KEYS) {
    const v = o[key] ?? '';
    if (typeof v !== 'string') throw new FormatError(`"${key}" must be a string`);
    header[key] = v;
  }
  const parameters = new Map<string, string>();
  const p = o.parameters ?? {};
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new FormatError('"parameters" must be an object');
  for (const [k, v] of Object.entries(p as Record<string, unknown>)) {
    if (typeof v === 'string') parameters.set(k, v);
    else if (typeof v === 'boolean') parameters.set(k, String(v));
    else if (typeof v === 'number' && Number.isSafeInteger(v)) parameters.set(k, String(v));
    else throw new FormatError(`parameter "${k}" must be a string (or an integer or a boolean)`);
  }
  return {
    sentFromServer: header.sent_from_server,
    sentFromService: header.sent_from_service,
    server: header.server,
    service: header.service,
    command: header.command,
    parameters,
  };
}

// characters that would break the string grammar or the line framing in a header field
const NEVER = /[\0\t\n\v\f\r ]/;

function checkStringForm(f: MessageFields): void {
  const check = (what: string, v: string, forbidden: RegExp): void => {
    if (NEVER.test(v) || forbidden.test(v)) throw new FormatError(`${what} ${JSON.stringify(v)} cannot be written in the string form`);
  };
  check('sent_from_server', f.sentFromServer, /:/);
  check('sent_from_service', f.sentFromService, /(?!)/);
  check('server', f.server, /[:/]/);
  check('service', f.service, /[:/]/);
  check('command', f.command, /[:/]/);
  if (f.sentFromServer === '' && f.sentFromService === '' && f.command.startsWith('<')) {
    throw new FormatError('a command cannot start with "<"');
  }
  if (f.service === '' && f.server === '' && f.command.startsWith('{')) throw new FormatError('a command cannot start with "{"');
  for (const [k, v] of f.parameters) {
    if (!isBaseName(k)) throw new FormatError(`parameter name ${JSON.stringify(k)} is not valid (expected [A-Za-z_][A-Za-z0-9_]*)`);
    if (v.includes('\0')) throw new FormatError(`parameter "${k}" contains a NUL character`);
  }
}

/** One `format` output line. */
export function formatLine(line: string, options: { json?: boolean; strict?: boolean } = {}): LineResult {
  try {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new FormatError(`not valid JSON: ${(e as Error).message}`);
    }
    const f = fieldsFromCli(value);
    if (f.command === '') throw new FormatError('cannot build a valid message without at least a command');
    // strict: the setter rules of §1.2; otherwise the fields are taken as the compat parser would
    const m = Message.fromFields(f, options.strict === true);
    if (options.json === true) return { ok: true, text: m.toJson() };
    checkStringForm(f);
    return { ok: true, text: m.toMessage() };
  } catch (e) {
    if (e instanceof FormatError || e instanceof ProtocolError) {
      return { ok: false, text: JSON.stringify({ ok: false, error: e.message }) };
    }
    throw e;
  }
}

function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (text === '') return resolve();
    const ok = out.write(text, () => undefined);
    if (ok) resolve();
    else out.once('drain', () => resolve());
  });
}

/**
 * Run a line filter: `handle` maps each non-empty line to an output line and says whether it
 * succeeded. Returns the number of failed lines (a line too long for the framer counts and stops).
 */
export async function filterLines(
  input: AsyncIterable<Buffer | string>,
  output: Writable,
  handle: (line: string) => LineResult,
  maxLine = DEFAULT_MAX_LINE,
): Promise<number> {
  const lines = new LinesDecoder({ maxFrameSize: maxLine, stripCR: false, skipEmpty: true });
  let failed = 0;
  const onLines = async (batch: Buffer[]): Promise<void> => {
    let out = '';
    for (const l of batch) {
      const r = handle(l.toString('utf8'));
      if (!r.ok) failed++;
      out += r.text + '\n';
    }
    await write(output, out);
  };
  for await (const chunk of input) {
    await onLines(lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    if (lines.error !== null) break;
  }
  if (lines.error !== null) {
    failed++;
    await write(output, JSON.stringify({ ok: false, error: lines.error.message }) + '\n');
  } else if (lines.buffered > 0) {
    // a last line without LF is still a message
    await onLines(lines.push(Buffer.from('\n')));
  }
  return failed;
}
