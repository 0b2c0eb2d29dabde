// Subsystem panels: what the actors' `inspect()` hooks report, grouped by subsystem on the server
// (runtime/view/panels.ts). Repainted only when the server says they changed.

import { esc, num } from './format.js';

const fields = (list) => `<div class="fields">${list.map(([k, v]) => `<span>${esc(k)} <b>${esc(num(v))}</b></span>`).join('')}</div>`;

function table(t) {
  const head = `<tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r) => `<tr>${r.map((v) => `<td>${esc(num(v))}</td>`).join('')}</tr>`).join('');
  return `<table data-title="${esc(t.title)}"><thead>${head}</thead><tbody>${rows}</tbody></table>${t.more ? `<div class="more">and ${t.more} more</div>` : ''}`;
}

function section(s) {
  const parts = [`<h4>${esc(s.title)}</h4>`];
  if (s.fields.length) parts.push(fields(s.fields));
  for (const g of s.groups) parts.push(`<div class="group"><h4>${esc(g.title)}</h4>${fields(g.fields)}</div>`);
  for (const t of s.tables) parts.push(`${s.tables.length > 1 || t.title !== s.kind ? `<h4>${esc(t.title)}</h4>` : ''}${table(t)}`);
  return `<div class="section" data-kind="${esc(s.kind)}">${parts.join('')}</div>`;
}

export function renderPanels(el, panels) {
  el.innerHTML = panels.map((p) => `<div class="panel" data-panel="${esc(p.id)}"><h3>${esc(p.title)}</h3>${p.sections.map(section).join('')}</div>`).join('');
}
