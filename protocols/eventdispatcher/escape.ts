// Value escaping (eventdispatcher.md §1.5).

const NEEDS_ESCAPE = /[\\\n\r]/;
const ESCAPE_ALL = /[\\\n\r]/g;

function escapeChar(c: string): string {
  return c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\r';
}

/** One pass: `\` -> `\\`, LF -> `\n`, CR -> `\r`; TAB and other controls stay raw. */
export function escapeValue(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPE_ALL, escapeChar) : value;
}

/** Quote iff the value contains `;` or starts with `"` (a `"` elsewhere stays bare). */
export function needsQuoting(value: string): boolean {
  return value.charCodeAt(0) === 34 || value.includes(';');
}

/** The wire form of a value: escaped, and quoted (with `"` -> `\"`) when needed. */
export function formatValue(value: string): string {
  const escaped = escapeValue(value);
  if (!needsQuoting(value)) return escaped;
  return '"' + escaped.replaceAll('"', '\\"') + '"';
}

/**
 * One left-to-right pass: at each position try `\\` -> `\`, then `\n` -> LF, then `\r` -> CR,
 * else copy one character. Unknown escapes and a trailing lone `\` stay verbatim.
 */
export function unescapeValue(value: string): string {
  let i = value.indexOf('\\');
  if (i === -1) return value;
  let out = value.slice(0, i);
  const n = value.length;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c === 92 && i + 1 < n) {
      const d = value.charCodeAt(i + 1);
      if (d === 92) {
        out += '\\';
        i += 2;
        continue;
      }
      if (d === 110) {
        out += '\n';
        i += 2;
        continue;
      }
      if (d === 114) {
        out += '\r';
        i += 2;
        continue;
      }
    }
    const next = value.indexOf('\\', i + 1);
    const stop = next === -1 ? n : next;
    out += value.slice(i, stop);
    i = stop;
  }
  return out;
}
