// Field escaping shared by lottery protocols A and B (lottery.md §6.5).
// In a text field `\` makes the next character literal. Only `\\`, `\,`, `\;` and `\:` are valid
// escapes; anything else (including a trailing lone `\`) is a protocol error. Encoders escape those
// four characters; decoders split on unescaped separators first, then unescape, then validate.

import { ProtocolError } from '../errors.ts';

const SPECIAL = /[\\,;:]/;
const SPECIAL_G = /[\\,;:]/g;

export function escapeField(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_G, '\\$&') : s;
}

/**
 * Splits `s` on every `sep` that is not escaped. The parts keep their escapes (call unescapeField
 * on each). A backslash escapes exactly the next character, whatever it is; validity is checked
 * by unescapeField.
 */
export function splitEscaped(s: string, sep: string): string[] {
  if (s.indexOf('\\') < 0) return s.split(sep);
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++; // skip the escaped character
    } else if (c === sep) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

export function unescapeField(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = s[i + 1];
    if (next === undefined) throw new ProtocolError('malformed', 'field ends with a lone backslash');
    if (next !== '\\' && next !== ',' && next !== ';' && next !== ':') {
      throw new ProtocolError('malformed', `invalid escape \\${JSON.stringify(next).slice(1, -1)}: only \\\\ \\, \\; \\: are allowed`);
    }
    out += next;
    i++;
  }
  return out;
}
