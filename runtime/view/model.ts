// The live view's model of a running system: the actor table kept from one snapshot plus the
// event stream, rates aggregated per second from the `stats` events, and the feed of failures.
// Periodic snapshots only add what the stream does not carry (quiet actors, the rates of actors
// below a thread's busiest list, and the `inspect()` details behind the subsystem panels).
// A tick is the change since the previous one, computed once and sent to every page.

import type { StampedEvent } from '../inspection/events.ts';
import type { SystemSnapshot } from '../kernel/system.ts';
import { buildPanels, type Panel, type PanelCaps } from './panels.ts';

/** path, thread, kind, state, mailbox depth, messages/s, restarts */
export type ActorRow = [string, number, string, string, number, number, number];

export interface FeedEntry {
  seq: number;
  at: number;
  type: 'crash' | 'restart' | 'escalate' | 'dead-letter' | 'thread-died';
  path: string | null;
  thread: number;
  reason: string;
  count?: number;
}

export interface ThreadRate {
  thread: number;
  rate: number;
  actors: number;
}

export interface ModelCaps {
  /** Actors sent in a full state (beyond: `truncated`). */
  maxActors: number;
  /** Feed entries per tick (beyond: counted in `feedDropped`). */
  feedPerTick: number;
  /** Feed entries a new page receives. */
  feedHistory: number;
  panels: PanelCaps;
}

interface Row {
  path: string;
  thread: number;
  kind: string;
  state: string;
  depth: number;
  rate: number;
  restarts: number;
  /** Messages handled at the last snapshot (`counted`: that count came from a snapshot). */
  processed: number;
  counted: boolean;
  /** The snapshot generation that last listed it. */
  seen: number;
  /** When the last `stats` event listed it (its rate and depth are then fresh). */
  statsAt: number;
  addedAt: number;
}

const FEED_TYPES = new Set(['crash', 'restart', 'escalate', 'dead-letter', 'thread-died']);
const round1 = (x: number): number => Math.round(x * 10) / 10;

export class LiveModel {
  private rows = new Map<string, Row>();
  private dirty = new Set<string>();
  private removed = new Set<string>();
  private stoppedAt = new Map<string, number>();
  private threadRates = new Map<number, { rate: number; at: number; actors: number; truncated: boolean; fromStats: boolean }>();
  private feedPending: FeedEntry[] = [];
  private feedDropped = 0;
  private feedRing: FeedEntry[] = [];
  private counts: SystemSnapshot['counts'] | null = null;
  private panels: Panel[] = [];
  private panelsJson = '';
  private panelsChanged = false;
  private details = new Map<string, unknown>();
  private lastSnapAt = 0;
  private snapGen = 0;
  private readonly caps: ModelCaps;
  name = '';
  pid = 0;
  /** Set once the first snapshot is in. */
  ready = false;

  constructor(caps: ModelCaps) {
    this.caps = caps;
  }

  get actorCount(): number {
    return this.rows.size;
  }

  applyEvent(ev: StampedEvent): void {
    switch (ev.type) {
      case 'spawn': {
        const old = this.rows.get(ev.path);
        this.stoppedAt.delete(ev.path);
        this.put({ path: ev.path, thread: ev.thread, kind: ev.kind, state: 'running', depth: 0, rate: 0, restarts: old?.restarts ?? 0, processed: 0, counted: false, statsAt: 0, addedAt: ev.at, seen: 0 });
        break;
      }
      case 'stop':
        if (this.rows.delete(ev.path)) {
          this.dirty.delete(ev.path);
          this.removed.add(ev.path);
        }
        this.stoppedAt.set(ev.path, ev.at);
        break;
      case 'crash':
        this.patch(ev.path, (r) => (r.state = 'failed'));
        break;
      case 'restart':
        this.patch(ev.path, (r) => {
          r.restarts = ev.restarts;
          r.state = 'running';
        });
        break;
      case 'stats':
        this.applyStats(ev);
        break;
      default:
        break;
    }
    if (FEED_TYPES.has(ev.type)) this.addFeed(ev);
    if (this.counts) {
      const c = this.counts;
      if (ev.type === 'crash') c.crash++;
      else if (ev.type === 'restart') c.restart++;
      else if (ev.type === 'escalate') c.escalate++;
      else if (ev.type === 'dead-letter') c.deadLetters += ev.count;
      else if (ev.type === 'thread-died') c.threadDied++;
      else if (ev.type === 'spawn') c.spawn++;
      else if (ev.type === 'stop') c.stop++;
    }
  }

  private applyStats(ev: Extract<StampedEvent, { type: 'stats' }>): void {
    const prev = this.threadRates.get(ev.thread);
    // Counts in a stats event cover the time since the thread's previous stats event (a snapshot's
    // entry is no such start: after one, the event covers its usual second).
    const dt = prev && prev.fromStats && ev.at > prev.at ? Math.min(10_000, ev.at - prev.at) : 1000;
    const listed = new Set<string>();
    let sum = 0;
    for (const a of ev.actors) {
      listed.add(a.path);
      sum += a.processed;
      this.patch(a.path, (r) => {
        r.depth = a.depth;
        r.rate = round1((a.processed * 1000) / dt);
        r.statsAt = ev.at;
      });
    }
    const truncated = ev.total !== undefined ? ev.total.actors > ev.actors.length && ev.actors.length >= 50 : ev.actors.length >= 50;
    // A complete list means every other actor of the thread was idle with an empty mailbox.
    if (!truncated) this.idleExcept(ev.thread, listed);
    const total = ev.total?.processed ?? sum;
    this.threadRates.set(ev.thread, { rate: round1((total * 1000) / dt), at: ev.at, actors: ev.total?.actors ?? prev?.actors ?? 0, truncated, fromStats: true });
  }

  private statsComplete(thread: number, now: number): boolean {
    const t = this.threadRates.get(thread);
    return t !== undefined && !t.truncated && t.fromStats && now - t.at < 2500;
  }

  private idleExcept(thread: number, listed: Set<string>): void {
    for (const r of this.rows.values()) {
      if (r.thread !== thread || listed.has(r.path) || (r.rate === 0 && r.depth === 0)) continue;
      r.rate = 0;
      r.depth = 0;
      this.dirty.add(r.path);
    }
  }

  /**
   * `requestedAt`: when the snapshot was asked for (rows added since then are kept). Rows are
   * updated in place: with 10,000 actors this runs every second or so and must stay cheap.
   */
  applySnapshot(snap: SystemSnapshot, requestedAt: number): void {
    this.name = snap.name;
    this.pid = snap.pid;
    this.counts = { ...snap.counts };
    const now = Date.now();
    const dt = this.lastSnapAt > 0 ? now - this.lastSnapAt : 0;
    const gen = ++this.snapGen;
    this.details.clear();
    for (const a of snap.actors) {
      if (a.info !== undefined && a.info !== null) this.details.set(a.path, a.info);
      if (this.stoppedAt.size > 0) {
        const stopped = this.stoppedAt.get(a.path);
        if (stopped !== undefined && stopped >= requestedAt) continue;
      }
      const r = this.rows.get(a.path);
      if (!r) {
        this.put({ path: a.path, thread: a.thread, kind: a.kind, state: a.state, depth: a.depth, rate: 0, restarts: a.restarts, processed: a.processed, counted: true, statsAt: 0, addedAt: now, seen: gen });
        continue;
      }
      r.seen = gen;
      let changed = false;
      // The count's change between snapshots gives the rate only where the stats events do not:
      // below a thread's busiest list, or on a thread without stats (a complete, fresh list
      // already says that an unlisted actor is idle).
      if (now - r.statsAt >= 2500 && !this.statsComplete(a.thread, now)) {
        const rate = r.counted && dt > 0 && a.processed >= r.processed ? round1(((a.processed - r.processed) * 1000) / dt) : r.rate;
        if (rate !== r.rate || a.depth !== r.depth) (r.rate = rate), (r.depth = a.depth), (changed = true);
      }
      r.processed = a.processed;
      r.counted = true;
      const restarts = Math.max(a.restarts, r.restarts);
      if (r.thread !== a.thread || r.kind !== a.kind || r.state !== a.state || r.restarts !== restarts) {
        r.thread = a.thread;
        r.kind = a.kind;
        r.state = a.state;
        r.restarts = restarts;
        changed = true;
      }
      if (changed) this.dirty.add(a.path);
    }
    for (const [path, r] of this.rows) {
      if (r.seen === gen || r.addedAt >= requestedAt) continue;
      this.rows.delete(path);
      this.dirty.delete(path);
      this.removed.add(path);
    }
    for (const [path, at] of this.stoppedAt) if (at < requestedAt) this.stoppedAt.delete(path);
    for (const t of snap.threads) {
      const tr = this.threadRates.get(t.thread);
      if (tr) tr.actors = t.actors;
      else this.threadRates.set(t.thread, { rate: 0, at: now, actors: t.actors, truncated: false, fromStats: false });
    }
    this.lastSnapAt = now;
    const panels = buildPanels(snap.actors, this.caps.panels);
    const json = JSON.stringify(panels);
    if (json !== this.panelsJson) {
      this.panels = panels;
      this.panelsJson = json;
      this.panelsChanged = true;
    }
    this.ready = true;
  }

  detailsOf(path: string): unknown {
    return this.details.get(path);
  }

  private put(r: Row): void {
    const old = this.rows.get(r.path);
    this.rows.set(r.path, r);
    this.removed.delete(r.path);
    if (!old || old.thread !== r.thread || old.kind !== r.kind || old.state !== r.state || old.depth !== r.depth || old.rate !== r.rate || old.restarts !== r.restarts) this.dirty.add(r.path);
  }

  private patch(path: string, f: (r: Row) => void): void {
    const r = this.rows.get(path);
    if (!r) return;
    f(r);
    this.dirty.add(path);
  }

  private addFeed(ev: StampedEvent): void {
    const e = ev as StampedEvent & { path?: string; reason?: string; count?: number };
    const entry: FeedEntry = { seq: ev.seq, at: ev.at, type: ev.type as FeedEntry['type'], path: e.path ?? null, thread: ev.thread, reason: String(e.reason ?? '').slice(0, 500) };
    if (ev.type === 'dead-letter') entry.count = ev.count;
    if (this.feedPending.length < this.caps.feedPerTick) this.feedPending.push(entry);
    else this.feedDropped++;
    this.feedRing.push(entry);
    if (this.feedRing.length > this.caps.feedHistory) this.feedRing.shift();
  }

  private threadList(now: number): ThreadRate[] {
    return [...this.threadRates]
      .sort((a, b) => a[0] - b[0])
      .map(([thread, t]) => ({ thread, rate: now - t.at > 2500 ? 0 : t.rate, actors: t.actors }));
  }

  private row(r: Row): ActorRow {
    return [r.path, r.thread, r.kind, r.state, r.depth, r.rate, r.restarts];
  }

  /** Everything a page needs to start: the whole table (capped), recent feed, panels. */
  full(now = Date.now()): object {
    const actors: ActorRow[] = [];
    for (const r of this.rows.values()) {
      if (actors.length >= this.caps.maxActors) break;
      actors.push(this.row(r));
    }
    return {
      type: 'full',
      at: now,
      system: { name: this.name, pid: this.pid },
      actors,
      truncated: Math.max(0, this.rows.size - actors.length),
      threads: this.threadList(now),
      counts: this.counts,
      feed: this.feedRing,
      panels: this.panels,
    };
  }

  /** The change since the previous tick; resets what it reports. */
  tick(now = Date.now()): object {
    const upsert: ActorRow[] = [];
    for (const p of this.dirty) {
      const r = this.rows.get(p);
      if (r) upsert.push(this.row(r));
    }
    const out: Record<string, unknown> = {
      type: 'tick',
      at: now,
      upsert,
      remove: [...this.removed],
      threads: this.threadList(now),
      counts: this.counts,
      feed: this.feedPending,
      feedDropped: this.feedDropped,
    };
    if (this.panelsChanged) out.panels = this.panels;
    this.dirty.clear();
    this.removed.clear();
    this.feedPending = [];
    this.feedDropped = 0;
    this.panelsChanged = false;
    return out;
  }
}
