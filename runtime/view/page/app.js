// The live view page: wires the ws stream to the tree, the charts, the feed and the panels.
// Data arrives at most once per tick; painting waits for the next animation frame.

import { connect } from './connection.js';
import { ActorTree } from './tree.js';
import { Charts } from './charts.js';
import { Feed } from './feed.js';
import { renderPanels } from './panels.js';
import { esc, num } from './format.js';

const $ = (id) => document.getElementById(id);
const tree = new ActorTree($('tree'), { onSelect: select });
const charts = new Charts($('chart-threads'), $('chart-actor'));
const feed = new Feed($('feed'), $('feed-filters'), $('feed-search'));
let selected = null;
let framePending = false;

function select(path) {
  selected = path;
  $('selected').textContent = path;
  $('details').hidden = true;
  charts.select();
  conn.send({ op: 'details', path });
}

function paintSoon() {
  if (framePending) return;
  framePending = true;
  requestAnimationFrame(() => {
    framePending = false;
    tree.paint();
    $('actor-count').textContent = `(${num(tree.size)})`;
  });
}

function showCounts(system, c) {
  if (system) $('system').innerHTML = `<b>${esc(system.name)}</b> pid ${esc(system.pid)}`;
  if (c) $('counts').textContent = `crashes ${num(c.crash)} · restarts ${num(c.restart)} · escalations ${num(c.escalate)} · dead letters ${num(c.deadLetters)} · thread deaths ${num(c.threadDied)}`;
}

function onMessage(msg) {
  switch (msg.type) {
    case 'full':
      tree.reset();
      for (const r of msg.actors) tree.upsert(r);
      feed.reset(msg.feed);
      renderPanels($('panels'), msg.panels);
      showCounts(msg.system, msg.counts);
      charts.tick(msg.at, msg.threads, selected && tree.rows.get(selected));
      break;
    case 'tick':
      for (const p of msg.remove) tree.remove(p);
      for (const r of msg.upsert) tree.upsert(r);
      feed.add(msg.feed, msg.feedDropped);
      if (msg.panels) renderPanels($('panels'), msg.panels);
      showCounts(null, msg.counts);
      charts.tick(msg.at, msg.threads, selected && tree.rows.get(selected));
      // The selected actor's inspect() details (refreshed by the server's snapshots).
      if (selected) conn.send({ op: 'details', path: selected });
      break;
    case 'details':
      if (msg.path !== selected) break;
      $('details').hidden = msg.info === null;
      $('details').textContent = JSON.stringify(msg.info, null, 1);
      break;
    case 'error':
      console.warn('live view:', msg.message);
      break;
  }
  paintSoon();
}

function askSecret(problem) {
  const form = $('auth');
  form.hidden = false;
  $('auth-error').textContent = problem ?? '';
  $('secret').focus();
  return new Promise((resolve) => {
    form.onsubmit = (e) => {
      e.preventDefault();
      form.hidden = true;
      resolve($('secret').value);
    };
  });
}

$('search').addEventListener('input', (e) => tree.setFilter(e.target.value));
const conn = connect({
  onMessage,
  askSecret,
  onStatus: (s) => {
    const el = $('status');
    el.textContent = s === 'live' ? 'live' : s === 'down' ? 'disconnected' : 'connecting…';
    el.className = `status ${s}`;
  },
});
