// Small formatting helpers shared by the page's parts.
export const threadName = (t) => (t < 0 ? 'main' : `t${t}`);

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);

export function num(v) {
  if (typeof v !== 'number') return v === null || v === undefined ? '-' : String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toFixed(1);
}

export const clock = (ms) => new Date(ms).toISOString().slice(11, 23);
