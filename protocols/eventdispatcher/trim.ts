// The message trim set (eventdispatcher.md §1.4 step 1): exactly SP, TAB, LF, VT, FF and CR.
// String.prototype.trim removes more (NBSP, U+2028, BOM...), so it must not be used.

function isTrim(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** [start, end) of `text` without the leading/trailing trim characters. */
export function trimBounds(text: string): [number, number] {
  let start = 0;
  let end = text.length;
  while (start < end && isTrim(text.charCodeAt(start))) start++;
  while (end > start && isTrim(text.charCodeAt(end - 1))) end--;
  return [start, end];
}

export function trimMessage(text: string): string {
  const [s, e] = trimBounds(text);
  return s === 0 && e === text.length ? text : text.slice(s, e);
}
