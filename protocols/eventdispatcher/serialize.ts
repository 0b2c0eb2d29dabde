// toMessage (eventdispatcher.md §1.6): the string form, without a trailing newline (framing is the
// transport's job, §1.7).

import { InvalidMessageError } from './errors.ts';
import { formatValue } from './escape.ts';
import type { MessageFields } from './types.ts';

/** Code-point order, which equals UTF-8 byte order (upstream sorts std::string keys by bytes). */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // surrogates (0xD800..0xDFFF) encode code points above 0xFFFF: they sort after 0xE000..0xFFFF
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (x >= 0xe000 || y >= 0xe000)) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** The parameters in ascending name order. */
export function sortedParameters(parameters: ReadonlyMap<string, string>): [string, string][] {
  const entries = [...parameters];
  // parsed messages usually arrive sorted already: check before sorting
  for (let i = 1; i < entries.length; i++) {
    if (compareNames(entries[i - 1][0], entries[i][0]) > 0) {
      entries.sort((p, q) => compareNames(p[0], q[0]));
      break;
    }
  }
  return entries;
}

export function toStringMessage(m: MessageFields): string {
  if (m.command === '') {
    throw new InvalidMessageError('message::to_message(): cannot build a valid message without at least a command.');
  }
  let out = '';
  if (m.sentFromServer !== '' || m.sentFromService !== '') {
    out = '<' + m.sentFromServer + ':' + m.sentFromService + ' ';
  }
  if (m.service !== '') {
    // R3 [KEEP]: with an empty service the server is dropped
    if (m.server !== '') out += m.server + ':';
    out += m.service + '/';
  }
  out += m.command;
  if (m.parameters.size > 0) {
    let sep = ' ';
    for (const [name, value] of sortedParameters(m.parameters)) {
      out += sep + name + '=' + formatValue(value);
      sep = ';';
    }
  }
  return out;
}
