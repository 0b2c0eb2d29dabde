// The actor tree, virtualised: only the rows in view exist in the DOM, so 10,000 actors scroll and
// update as fast as 40. The flattened order is rebuilt only when the tree's shape, the collapsed
// set or the search changes; a tick that only changes values repaints the visible rows.

import { esc, num, threadName } from './format.js';

const ROW = 22;
const parentOf = (p) => (p === '/' ? null : p.lastIndexOf('/') === 0 ? '/' : p.slice(0, p.lastIndexOf('/')));
const nameOf = (p) => (p === '/' ? '/' : p.slice(p.lastIndexOf('/') + 1));

export class ActorTree {
  constructor(el, { onSelect }) {
    this.el = el;
    this.onSelect = onSelect;
    this.rows = new Map(); // path -> [path, thread, kind, state, depth, rate, restarts]
    this.children = new Map(); // path -> Set of child paths
    this.collapsed = new Set();
    this.filter = '';
    this.selected = null;
    this.order = [];
    this.shapeChanged = true;
    this.spacer = document.createElement('div');
    this.el.append(this.spacer);
    this.pool = [];
    this.el.addEventListener('scroll', () => this.paint());
    new ResizeObserver(() => this.paint()).observe(this.el);
    this.el.addEventListener('click', (e) => {
      const rowEl = e.target.closest('.row');
      if (!rowEl) return;
      const path = rowEl.dataset.path;
      if (e.target.classList.contains('toggle')) {
        if (this.collapsed.has(path)) this.collapsed.delete(path);
        else this.collapsed.add(path);
        this.shapeChanged = true;
      } else {
        this.selected = path;
        this.onSelect(path);
      }
      this.paint();
    });
  }

  get size() {
    return this.rows.size;
  }

  reset() {
    this.rows.clear();
    this.children.clear();
    this.shapeChanged = true;
  }

  upsert(row) {
    const path = row[0];
    if (!this.rows.has(path)) {
      this.shapeChanged = true;
      const parent = parentOf(path);
      if (parent !== null) {
        let set = this.children.get(parent);
        if (!set) this.children.set(parent, (set = new Set()));
        set.add(path);
      }
    }
    this.rows.set(path, row);
  }

  remove(path) {
    if (!this.rows.delete(path)) return;
    this.shapeChanged = true;
    this.children.get(parentOf(path))?.delete(path);
  }

  setFilter(text) {
    this.filter = text.trim().toLowerCase();
    this.shapeChanged = true;
    this.el.scrollTop = 0;
    this.paint();
  }

  /** Depth-first order; with a search, the matches and their ancestors only, nothing collapsed. */
  flatten() {
    const roots = [...this.rows.keys()].filter((p) => {
      const parent = parentOf(p);
      return parent === null || !this.rows.has(parent);
    });
    let keep = null;
    if (this.filter) {
      keep = new Set();
      for (const p of this.rows.keys()) {
        if (!p.toLowerCase().includes(this.filter)) continue;
        for (let q = p; q !== null && !keep.has(q); q = parentOf(q)) keep.add(q);
      }
    }
    const out = [];
    const visit = (p, depth) => {
      if (keep && !keep.has(p)) return;
      out.push([p, depth]);
      if (!keep && this.collapsed.has(p)) return;
      const kids = this.children.get(p);
      if (kids) for (const k of [...kids].sort()) if (this.rows.has(k)) visit(k, depth + 1);
    };
    for (const r of roots.sort()) visit(r, 0);
    this.order = out;
    this.shapeChanged = false;
  }

  paint() {
    if (this.shapeChanged) this.flatten();
    this.spacer.style.height = `${this.order.length * ROW}px`;
    const first = Math.max(0, Math.floor(this.el.scrollTop / ROW) - 5);
    const count = Math.min(this.order.length - first, Math.ceil(this.el.clientHeight / ROW) + 10);
    while (this.pool.length < count) {
      const div = document.createElement('div');
      div.className = 'row';
      this.el.append(div);
      this.pool.push(div);
    }
    for (let i = 0; i < this.pool.length; i++) {
      const div = this.pool[i];
      if (i >= count) {
        div.hidden = true;
        continue;
      }
      const [path, depth] = this.order[first + i];
      const r = this.rows.get(path);
      div.hidden = false;
      div.style.top = `${(first + i) * ROW}px`;
      div.dataset.path = path;
      div.classList.toggle('selected', path === this.selected);
      div.classList.toggle('match', this.filter !== '' && path.toLowerCase().includes(this.filter));
      const kids = this.children.get(path)?.size ?? 0;
      const toggle = kids === 0 ? '' : this.collapsed.has(path) && !this.filter ? '▸' : '▾';
      const html =
        `<span class="c-name" title="${esc(path)}" style="padding-left:${depth * 14}px"><span class="toggle">${toggle}</span><span class="name">${esc(nameOf(path))}</span>${kids && this.collapsed.has(path) ? ` <span class="more">(${kids})</span>` : ''}</span>` +
        `<span class="c-thread">${threadName(r[1])}</span><span class="c-state st-${esc(r[3])}">${esc(r[3])}</span>` +
        `<span class="c-depth${r[4] > 1000 ? ' hot' : ''}">${num(r[4])}</span><span class="c-rate">${num(r[5])}</span>` +
        `<span class="c-restarts${r[6] > 0 ? ' hot' : ''}">${num(r[6])}</span><span class="c-kind">${esc(r[2])}</span>`;
      if (div._html !== html) div.innerHTML = div._html = html;
    }
  }
}
