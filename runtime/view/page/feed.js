// The feed of crashes, restarts, escalations, dead letters and thread deaths, newest first,
// filterable by kind and by text; the DOM keeps the latest 500.

import { clock, esc, threadName } from './format.js';

const KINDS = ['crash', 'restart', 'escalate', 'dead-letter', 'thread-died'];
const KEEP = 500;

export class Feed {
  constructor(listEl, filtersEl, searchEl) {
    this.list = listEl;
    this.entries = [];
    this.shown = new Set(KINDS);
    this.text = '';
    this.dropped = 0;
    filtersEl.innerHTML = KINDS.map((k) => `<label><input type="checkbox" data-kind="${k}" checked> ${k}</label>`).join('');
    filtersEl.addEventListener('change', (e) => {
      const k = e.target.dataset.kind;
      if (e.target.checked) this.shown.add(k);
      else this.shown.delete(k);
      this.render();
    });
    searchEl.addEventListener('input', () => {
      this.text = searchEl.value.trim().toLowerCase();
      this.render();
    });
  }

  reset(entries) {
    this.entries = entries.slice(-KEEP);
    this.render();
  }

  add(entries, dropped) {
    if (entries.length === 0 && !dropped) return;
    this.entries.push(...entries);
    if (this.entries.length > KEEP) this.entries.splice(0, this.entries.length - KEEP);
    this.dropped += dropped || 0;
    this.render();
  }

  visible(e) {
    if (!this.shown.has(e.type)) return false;
    return !this.text || `${e.path ?? ''} ${e.reason}`.toLowerCase().includes(this.text);
  }

  render() {
    const items = [];
    for (let i = this.entries.length - 1; i >= 0 && items.length < 200; i--) {
      const e = this.entries[i];
      if (!this.visible(e)) continue;
      const what = e.type === 'dead-letter' ? `${e.count} to ${e.path}` : e.path ?? threadName(e.thread);
      items.push(`<li class="k-${e.type}"><span class="t">${clock(e.at)}</span> <b>${e.type}</b> ${esc(what)} <span class="t">${threadName(e.thread)}</span> ${esc(e.reason)}</li>`);
    }
    if (this.dropped) items.push(`<li class="more">${this.dropped} more entries were left out by the server's cap</li>`);
    this.list.innerHTML = items.join('');
  }
}
