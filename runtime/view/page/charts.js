// Two uPlot charts fed once per tick: messages/s per thread, and the selected actor's mailbox
// depth and message rate. The last two minutes are kept.

import uPlot from '/vendor/uPlot.esm.js';
import { threadName } from './format.js';

const KEEP = 120;
const COLORS = ['#2f6fdf', '#d9822b', '#2a9d5b', '#c8352b', '#7d4fbf', '#1a9bb0', '#8a6d3b', '#555'];

function makePlot(el, names) {
  const opts = {
    width: el.clientWidth || 400,
    height: el.clientHeight || 170,
    legend: { show: true },
    scales: { x: { time: true } },
    axes: [{}, { size: 60 }],
    series: [{}, ...names.map((n, i) => ({ label: n, stroke: COLORS[i % COLORS.length], width: 1.5 }))],
  };
  return new uPlot(opts, [[], ...names.map(() => [])], el);
}

class Chart {
  constructor(el) {
    this.el = el;
    this.names = [];
    this.data = [[]];
    this.plot = null;
    new ResizeObserver(() => this.plot?.setSize({ width: el.clientWidth, height: el.clientHeight || 170 })).observe(el);
  }

  /** Appends one point per series; a new set of series starts a fresh chart. */
  push(t, names, values) {
    if (names.join('|') !== this.names.join('|')) {
      this.plot?.destroy();
      this.names = names;
      this.data = [[], ...names.map(() => [])];
      this.plot = makePlot(this.el, names);
    }
    this.data[0].push(t / 1000);
    values.forEach((v, i) => this.data[i + 1].push(v));
    if (this.data[0].length > KEEP) for (const s of this.data) s.shift();
    this.plot.setData(this.data);
    this.el.dataset.last = values.join(' ');
    this.el.dataset.points = String(this.data[0].length);
  }

  clear() {
    this.names = [];
    this.plot?.destroy();
    this.plot = null;
  }
}

export class Charts {
  constructor(threadsEl, actorEl) {
    this.threads = new Chart(threadsEl);
    this.actor = new Chart(actorEl);
  }

  tick(at, threads, selectedRow) {
    this.threads.push(at, threads.map((t) => threadName(t.thread)), threads.map((t) => t.rate));
    if (selectedRow) this.actor.push(at, ['mailbox', 'msg/s'], [selectedRow[4], selectedRow[5]]);
  }

  select() {
    this.actor.clear();
  }
}
