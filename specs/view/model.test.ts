// Properties of the live view's model and panels: the ticks a page receives rebuild exactly the
// model's full state after any sequence of events and snapshots; the actor table follows the
// events (a stopped actor is gone, restart counts are the latest); the feed's cap holds; panels
// built from any `inspect()` data stay within their caps.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LiveModel, type ActorRow, type FeedEntry } from '../../runtime/view/model.ts';
import { buildPanels, DEFAULT_PANEL_CAPS } from '../../runtime/view/panels.ts';
import { DEFAULT_CAPS } from '../../runtime/view/hub.ts';
import { renderPanels } from '../../runtime/cli/render.ts';
import type { StampedEvent } from '../../runtime/inspection/events.ts';
import type { SystemSnapshot } from '../../runtime/kernel/system.ts';
import type { CellInfo } from '../../runtime/actor/cell.ts';

const PATHS = ['/a', '/a/b', '/a/c', '/d', '/d/e', '/f'];
type Step =
  | { k: 'spawn'; p: number; thread: number }
  | { k: 'stop'; p: number }
  | { k: 'restart'; p: number }
  | { k: 'crash'; p: number }
  | { k: 'dead'; p: number; count: number }
  | { k: 'stats'; thread: number; n: number }
  | { k: 'snapshot' }
  | { k: 'tick' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('spawn' as const), p: fc.nat(PATHS.length - 1), thread: fc.integer({ min: -1, max: 1 }) }),
  fc.record({ k: fc.constant('stop' as const), p: fc.nat(PATHS.length - 1) }),
  fc.record({ k: fc.constant('restart' as const), p: fc.nat(PATHS.length - 1) }),
  fc.record({ k: fc.constant('crash' as const), p: fc.nat(PATHS.length - 1) }),
  fc.record({ k: fc.constant('dead' as const), p: fc.nat(PATHS.length - 1), count: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ k: fc.constant('stats' as const), thread: fc.integer({ min: -1, max: 1 }), n: fc.nat(1000) }),
  fc.constant({ k: 'snapshot' as const }),
  fc.constant({ k: 'tick' as const }),
);

interface Ref {
  thread: number;
  restarts: number;
  processed: number;
}

test('ticks rebuild the full state; the table follows the events and snapshots; the feed cap holds', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 10, maxLength: 150, size: 'max' }), fc.integer({ min: 1, max: 6 }), (steps, feedPerTick) => {
      const model = new LiveModel({ ...DEFAULT_CAPS, feedPerTick });
      const ref = new Map<string, Ref>();
      const page = new Map<string, ActorRow>();
      let seq = 0;
      let feedSinceTick = 0;
      const ev = (e: object): StampedEvent => ({ ...e, seq: ++seq, at: Date.now() }) as StampedEvent;
      const snapshot = (): SystemSnapshot => ({
        name: 's',
        pid: 1,
        uptimeMs: 0,
        threads: [],
        recentDeadLetters: [],
        counts: { spawn: 0, stop: 0, restart: 0, crash: 0, deadLetters: 0, escalate: 0, threadDied: 0 },
        actors: [...ref].map(([path, r]): CellInfo => ({ path, parent: null, thread: r.thread, state: 'running', kind: 'K', depth: 0, processed: r.processed, restarts: r.restarts, children: 0 })),
      });
      model.applySnapshot(snapshot(), Date.now());
      for (const r of (model.full() as { actors: ActorRow[] }).actors) page.set(r[0], r);
      for (const s of steps) {
        if (s.k === "snapshot") model.applySnapshot(snapshot(), Date.now());
        else if (s.k === 'tick') {
          const t = model.tick() as { upsert: ActorRow[]; remove: string[]; feed: FeedEntry[]; feedDropped: number };
          assert.ok(t.feed.length <= feedPerTick);
          assert.equal(t.feed.length + t.feedDropped, feedSinceTick);
          feedSinceTick = 0;
          for (const p of t.remove) page.delete(p);
          for (const r of t.upsert) page.set(r[0], r);
          const full = (model.full() as { actors: ActorRow[] }).actors;
          assert.deepEqual(new Map(full.map((r) => [r[0], r])), page, 'the page rebuilt from ticks equals the full state');
        } else if (s.k === 'stats') {
          const listed = [...ref].filter(([, r]) => r.thread === s.thread).map(([path]) => ({ path, depth: 0, processed: s.n }));
          model.applyEvent(ev({ type: 'stats', thread: s.thread, actors: listed, total: { processed: s.n * listed.length, actors: listed.length } }));
        } else {
          const path = PATHS[s.p];
          const r = ref.get(path);
          if (s.k === 'spawn') {
            if (r) continue; // a live path is not spawned twice
            ref.set(path, { thread: s.thread, restarts: 0, processed: 0 });
            model.applyEvent(ev({ type: 'spawn', path, thread: s.thread, kind: 'K', parent: '/' }));
          } else if (s.k === 'dead') {
            feedSinceTick++;
            model.applyEvent(ev({ type: 'dead-letter', path, thread: 0, count: s.count, reason: 'r' }));
          } else if (!r) continue;
          else if (s.k === 'stop') {
            ref.delete(path);
            model.applyEvent(ev({ type: 'stop', path, thread: r.thread, reason: 'normal' }));
          } else if (s.k === 'crash') {
            feedSinceTick++;
            model.applyEvent(ev({ type: 'crash', path, thread: r.thread, reason: 'boom' }));
          } else {
            r.restarts++;
            feedSinceTick++;
            model.applyEvent(ev({ type: 'restart', path, thread: r.thread, reason: 'boom', restarts: r.restarts }));
          }
        }
      }
      const full = (model.full() as { actors: ActorRow[] }).actors;
      assert.deepEqual(full.map((r) => r[0]).sort(), [...ref.keys()].sort(), 'exactly the live actors');
      for (const row of full) {
        assert.equal(row[1], ref.get(row[0])!.thread);
        assert.equal(row[6], ref.get(row[0])!.restarts);
      }
    }),
    { numRuns: 300 },
  );
});

test('panels from any inspect() data: no throw, within their caps, plain JSON', () => {
  const caps = { rowsPerTable: 5, textLength: 20, columnsPerTable: 4 };
  const actor = fc.record({ name: fc.constantFrom('x', 'y', 'z'), kind: fc.constantFrom('A', 'B'), info: fc.oneof(fc.jsonValue(), fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 12 }).map((rows) => ({ rows }))) });
  fc.assert(
    fc.property(fc.array(actor, { maxLength: 10 }), fc.constantFrom('s1', 's2'), (actors, sub) => {
      const cells: CellInfo[] = actors.map((a, i) => ({ path: `/${sub}/${a.name}${i}`, parent: null, thread: 0, state: 'running', kind: a.kind, depth: 0, processed: 0, restarts: 0, children: 0, info: a.info }));
      const panels = buildPanels(cells, caps);
      assert.deepEqual(JSON.parse(JSON.stringify(panels)), panels);
      for (const p of panels)
        for (const s of p.sections) {
          for (const [, v] of [...s.fields, ...s.groups.flatMap((g) => g.fields)]) if (typeof v === 'string') assert.ok(v.length <= caps.textLength);
          for (const t of s.tables) {
            assert.ok(t.rows.length <= caps.rowsPerTable);
            assert.ok(t.columns.length <= caps.columnsPerTable + 1);
            for (const row of t.rows) for (const v of row) if (typeof v === 'string' && !v.startsWith('/')) assert.ok(v.length <= caps.textLength);
          }
        }
    }),
  );
});

test('panels: the dispatcher-like details give fields, groups and a table; several actors of a kind give one table', () => {
  const cell = (path: string, kind: string, info: unknown): CellInfo => ({ path, parent: null, thread: 0, state: 'running', kind, depth: 0, processed: 0, restarts: 0, children: 0, info });
  const panels = buildPanels(
    [
      cell('/dispatchers/echo/io/acceptor', 'Acceptor', { address: '127.0.0.1:1', counters: { accepted: 2, frames: 9 }, gauges: { groupLoads: [0, 1] }, table: [{ slot: 1, numOps: 5 }] }),
      cell('/lottery/agency-1', 'Agency', { state: 'sending', bets: 10 }),
      cell('/lottery/agency-2', 'Agency', { state: 'done', bets: 20 }),
      cell('/quiet', 'Q', undefined),
    ],
    DEFAULT_PANEL_CAPS,
  );
  assert.deepEqual(panels.map((p) => p.id), ['dispatchers', 'lottery']);
  const acc = panels[0].sections[0];
  assert.deepEqual(acc.fields, [['address', '127.0.0.1:1']]);
  assert.deepEqual(acc.groups.map((g) => g.title), ['counters', 'gauges']);
  assert.deepEqual(acc.groups[1].fields, [['groupLoads', '0, 1']]);
  assert.deepEqual(acc.tables[0], { title: 'table', columns: ['slot', 'numOps'], rows: [[1, 5]], more: 0 });
  const agencies = panels[1].sections[0];
  assert.equal(agencies.title, 'Agency (2)');
  assert.deepEqual(agencies.tables[0].columns, ['actor', 'state', 'bets']);
  assert.deepEqual(agencies.tables[0].rows, [['/lottery/agency-1', 'sending', 10], ['/lottery/agency-2', 'done', 20]]);
});

test('top prints the same panels as text: a block per subsystem, fields, groups and tables', () => {
  const cell = (path: string, kind: string, info: unknown): CellInfo => ({ path, parent: null, thread: 0, state: 'running', kind, depth: 0, processed: 0, restarts: 0, children: 0, info });
  const text = renderPanels(
    buildPanels([
      cell('/dispatchers/echo/io/acceptor', 'Acceptor', { address: '127.0.0.1:1', counters: { accepted: 2 }, table: [{ slot: 1, numOps: 5 }] }),
      cell('/lottery/agency-1', 'Agency', { state: 'sending', bets: 10 }),
      cell('/lottery/agency-2', 'Agency', { state: 'done', bets: 20 }),
    ]),
  );
  assert.match(text, /^== dispatchers =+$/m);
  assert.match(text, /^ {4}address=127\.0\.0\.1:1$/m);
  assert.match(text, /^ {4}counters: accepted=2$/m);
  assert.match(text, /^ {6}SLOT {2}NUMOPS\n {6}1 {5}5$/m);
  assert.match(text, /^== lottery =+$/m);
  assert.match(text, /^ {6}\/lottery\/agency-2 {2}done {5}20$/m);
});

test('rates: the stats events decide on a thread whose busiest list is complete; snapshots fill in below a truncated list', async () => {
  const snap = (processed: Record<string, number>): SystemSnapshot => ({
    name: 's',
    pid: 1,
    uptimeMs: 0,
    threads: [{ thread: 0, actors: Object.keys(processed).length, deadLetters: 0 }],
    recentDeadLetters: [],
    counts: { spawn: 0, stop: 0, restart: 0, crash: 0, deadLetters: 0, escalate: 0, threadDied: 0 },
    actors: Object.entries(processed).map(([path, n]): CellInfo => ({ path, parent: null, thread: 0, state: 'running', kind: 'K', depth: 0, processed: n, restarts: 0, children: 0 })),
  });
  const rateOf = (m: LiveModel, path: string): number => (m.full() as { actors: ActorRow[] }).actors.find((r) => r[0] === path)![5];
  const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`/x${i}`, 0]));
  for (const truncated of [false, true]) {
    const m = new LiveModel(DEFAULT_CAPS);
    m.applySnapshot(snap({ '/a': 0, '/b': 0, ...many }), Date.now());
    const t = Date.now();
    const listed = truncated ? Object.keys(many).slice(0, 50).map((path) => ({ path, depth: 0, processed: 500 })) : [{ path: '/a', depth: 3, processed: 500 }];
    m.applyEvent({ type: 'stats', thread: 0, actors: listed, total: { processed: 500 * listed.length, actors: 62 }, seq: 1, at: t } as StampedEvent);
    await new Promise((r) => setTimeout(r, 50));
    m.applySnapshot(snap({ '/a': 500, '/b': 1000, ...many }), Date.now());
    if (truncated) assert.ok(rateOf(m, '/b') > 1000, `below a truncated list the snapshot gives /b's rate (${rateOf(m, '/b')})`);
    else {
      assert.equal(rateOf(m, '/a'), 500);
      assert.equal(rateOf(m, '/b'), 0, 'a complete list says /b was idle');
    }
  }
});
