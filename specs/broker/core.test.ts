// The server core on a real store (node:sqlite in a temp folder): rid de-duplication, state rebuilt
// after a restart (subscriptions, queues, seqs never reused), and a full disk: -7 for the whole
// group, nothing half-applied, fail-stop.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { DEFAULT_SERVER_LIMITS } from '../../actors/broker/limits.ts';
import { BrokerCore, type LbSink } from '../../actors/broker/server/core.ts';
import { openJournal } from '../../actors/broker/server/journal.ts';
import type { BrokerReply, DeliverBatchFrame, DeliverFrame, DeliverRunsFrame, FanoutFrame, PublishBatchFrame, ReplyBatchFrame } from '../../protocols/broker/index.ts';
import { group } from './core-groups.ts';
import { tmp } from './helpers.ts';

class Sink implements LbSink {
  replies: BrokerReply[] = [];
  batches: ReplyBatchFrame[] = [];
  pushes: DeliverFrame[] = [];
  frames = 0;
  reply(r: BrokerReply | ReplyBatchFrame): void {
    if (r.type === 'reply-batch') this.batches.push(r);
    else this.replies.push(r);
  }
  /** Fanout and batch frames are flattened into the deliver frames they stand for. */
  deliver(f: DeliverFrame | FanoutFrame | DeliverBatchFrame | DeliverRunsFrame): void {
    this.frames++;
    if (f.type === 'deliver') this.pushes.push(f);
    else if (f.type === 'fanout') for (const t of f.to) this.pushes.push({ type: 'deliver', id: t.id, seq: t.seq, topic: f.topic, msg: f.msg });
    else if (f.type === 'deliver-batch') for (const m of f.msgs) for (let j = 0; j < m.to.length; j += 2) this.pushes.push({ type: 'deliver', id: m.to[j], seq: m.to[j + 1], topic: f.topics[m.topic], msg: m.msg });
    else {
      for (let j = 0; j < f.runs.length; j += 4) {
        for (let k = 0; k < f.runs[j + 3]; k++) {
          const m = f.msgs[f.runs[j + 2] + k];
          this.pushes.push({ type: 'deliver', id: f.runs[j], seq: f.runs[j + 1] + k, topic: f.topics[m.topic], msg: m.msg });
        }
      }
    }
  }
}

function open(dir: string, o: { maxPages?: number; onFatal?: (e: Error) => void } = {}): BrokerCore {
  return new BrokerCore(openJournal(dir, 'full', { maxPages: o.maxPages }), { limits: DEFAULT_SERVER_LIMITS, pushWindow: 256, onFatal: o.onFatal ?? ((e) => assert.fail(e)) }, ['general']);
}

/** Sends requests as one group and returns their replies. */
describe('broker server core', () => {
  it('a resent rid returns the original reply and is applied once', () => {
    const core = open(tmp());
    const sink = new Sink();
    core.attach('lb1', sink);
    const [created] = group(core, sink, [{ type: 'create', rid: 1 }]);
    const gid = (created as { id: number }).id;
    group(core, sink, [{ type: 'subscribe', rid: 2, id: gid, topic: 't' }]);
    const once = group(core, sink, [{ type: 'publish', rid: 3, id: gid, topic: 't', msg: 'x' }]);
    const again = group(core, sink, [{ type: 'publish', rid: 3, id: gid, topic: 't', msg: 'x' }, { type: 'create', rid: 1 }]);
    assert.deepEqual(again[0], once[0]);
    assert.deepEqual(again[1], created, 'a resent create gives the same id');
    assert.equal(sink.pushes.length, 1, 'queued once');
    assert.equal(core.state.clients.size, 1);
  });

  it('after a restart: subscriptions, pending messages and their order are back; seqs continue, even after a purge', () => {
    const dir = tmp();
    let core = open(dir);
    let sink = new Sink();
    core.attach('lb1', sink);
    const [a, b] = group(core, sink, [{ type: 'create', rid: 1 }, { type: 'create', rid: 2 }]).map((r) => (r as { id: number }).id);
    group(core, sink, [
      { type: 'subscribe', rid: 3, id: a, topic: 'x' },
      { type: 'subscribe', rid: 4, id: a, topic: 'y' },
      { type: 'subscribe', rid: 5, id: b, topic: 'x' },
      { type: 'publish', rid: 6, id: b, topic: 'x', msg: 'x1' },
      { type: 'publish', rid: 7, id: b, topic: 'y', msg: 'y1' },
      { type: 'publish', rid: 8, id: b, topic: 'y', msg: 'y2' },
    ]);
    core.consumed('lb1', b, 1);
    group(core, sink, [{ type: 'unsubscribe', rid: 9, id: a, topic: 'y' }]); // purges a's seqs 2 and 3
    // a new core on the same files (the previous one simply stops being used, as after kill -9)
    core = open(dir);
    sink = new Sink();
    core.attach('lb1', sink);
    assert.deepEqual(sink.pushes.map((p) => [p.id, p.seq, p.topic, p.msg]), [[a, 1, 'x', 'x1']], 'only what is unconsumed and still subscribed comes back');
    assert.ok(core.state.indexesAgree());
    assert.deepEqual([...core.state.clients.get(a)!.topics].map((t) => t.name), ['x']);
    group(core, sink, [{ type: 'subscribe', rid: 10, id: a, topic: 'y' }, { type: 'publish', rid: 11, id: b, topic: 'y', msg: 'y3' }]);
    assert.deepEqual(sink.pushes.at(-1), { type: 'deliver', id: a, seq: 4, topic: 'y', msg: 'y3' }, 'seq 2 and 3 are not reused');
    const [c] = group(core, sink, [{ type: 'create', rid: 12 }]);
    assert.equal((c as { id: number }).id, b + 1);
  });

  it('a full disk: the whole group gets -7, nothing of it is applied, and the node stops', () => {
    const dir = tmp();
    let fatal: Error | null = null;
    const core = open(dir, { maxPages: 40, onFatal: (e) => (fatal = e) });
    const sink = new Sink();
    core.attach('lb1', sink);
    const [a] = group(core, sink, [{ type: 'create', rid: 1 }]).map((r) => (r as { id: number }).id);
    group(core, sink, [{ type: 'subscribe', rid: 2, id: a, topic: 't' }]);
    const big = 'z'.repeat(60_000);
    let rid = 3;
    let replies: BrokerReply[] = [];
    let published = 0;
    while (fatal === null && rid < 200) {
      replies = group(core, sink, [{ type: 'publish', rid: rid++, id: a, topic: 't', msg: big }, { type: 'create', rid: rid++ }]);
      if (fatal === null) published++;
    }
    assert.ok(fatal, 'the write failed');
    assert.deepEqual(replies.map((r) => (r.type === 'error' ? r.code : r.status)), [-7, -7]);
    assert.match((replies[0] as { description: string }).description, /commit failed: .*full/);
    assert.equal(group(core, sink, [{ type: 'create', rid: 999 }])[0].type, 'error', 'nothing is acknowledged after a failed write');
    const after = open(dir);
    const s = new Sink();
    after.attach('lb1', s);
    assert.equal(s.pushes.length, published, 'every acknowledged publish is there, the failed one is not');
    assert.equal(after.state.clients.size, published + 1, 'the creates of the failed groups are not there');
  });

  it('the store keeps exactly the referenced payloads, each with its queue entries, and the consumed marks end them (multi-row inserts, range deletes, unsynced consumed groups)', () => {
    const dir = tmp();
    let core = open(dir);
    let sink = new Sink();
    core.attach('lb1', sink);
    const ids = group(core, sink, [1, 2, 3, 4, 5].map((rid) => ({ type: 'create' as const, rid }))).map((r) => (r as { id: number }).id);
    group(core, sink, ids.slice(0, 4).map((id, i) => ({ type: 'subscribe' as const, rid: 10 + i, id, topic: 'wide' })));
    let rid = 100;
    for (let g = 0; g < 5; g++) group(core, sink, Array.from({ length: 20 }, (_, i) => ({ type: 'publish' as const, rid: rid++, id: ids[4], topic: 'wide', msg: `m${g * 20 + i}` })));
    // consumed marks arrive in groups of their own: everything of ids 0 and 1, half of id 2, nothing of id 3
    for (const [id, upTo] of [[ids[0], 100], [ids[1], 100], [ids[2], 50]]) {
      core.consumed('lb1', id, upTo);
      core.flush();
    }
    const rows = (): { payloads: number; pending: number[][] } => {
      const db = new DatabaseSync(join(dir, 'broker.sqlite'), { readOnly: true });
      try {
        const payloads = (db.prepare('SELECT count(*) AS n FROM payloads').get() as { n: number }).n;
        assert.equal((db.prepare('SELECT count(*) AS n FROM pending').get() as { n: number }).n, 0, 'no row per subscriber');
        // what the store holds pending: each payload's (gid, seq) entries above the gid's consumed mark
        const consumed = new Map((db.prepare('SELECT gid, consumed FROM clients').all() as { gid: number; consumed: number }[]).map((r) => [r.gid, r.consumed]));
        const held = new Map<number, number[]>();
        for (const r of db.prepare('SELECT subs FROM payloads').all() as { subs: Uint8Array }[]) {
          const f = new Float64Array(r.subs.slice().buffer);
          for (let i = 0; i < f.length; i += 2) if (f[i + 1] > (consumed.get(f[i]) ?? Infinity)) held.set(f[i], [...(held.get(f[i]) ?? []), f[i + 1]]);
        }
        const pending = ids.map((id) => (held.get(id) ?? []).sort((a, b) => a - b));
        return { payloads, pending };
      } finally {
        db.close();
      }
    };
    const seqs = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    assert.deepEqual(rows(), { payloads: 100, pending: [[], [], seqs(51, 100), seqs(1, 100), []] }, 'id 3 still references every payload');
    core.consumed('lb1', ids[3], 70);
    core.flush();
    assert.deepEqual(rows(), { payloads: 50, pending: [[], [], seqs(51, 100), seqs(71, 100), []] }, 'payloads no queue references are gone, in one range');
    // after a restart (as after kill -9) the consumed marks of those unsynced groups are there
    core = open(dir);
    sink = new Sink();
    core.attach('lb1', sink);
    assert.deepEqual(sink.pushes.filter((p) => p.id === ids[2]).map((p) => p.seq), seqs(51, 100));
    assert.deepEqual(sink.pushes.filter((p) => p.id === ids[3]).map((p) => p.seq), seqs(71, 100));
    assert.equal(sink.pushes.filter((p) => p.id === ids[0] || p.id === ids[1]).length, 0);
  });

  it('a publish batch: each publish its own outcome (runs), one rid remembered across a restart, one deliver-runs frame per turn, FIFO kept', () => {
    const dir = tmp();
    const limits = { ...DEFAULT_SERVER_LIMITS, maxPendingMessages: 5 };
    const openLimited = (): BrokerCore => new BrokerCore(openJournal(dir, 'full'), { limits, pushWindow: 256, onFatal: (e) => assert.fail(e) }, ['general']);
    let core = openLimited();
    const sink = new Sink();
    core.attach('lb1', sink);
    const [a, b] = group(core, sink, [{ type: 'create', rid: 1 }, { type: 'create', rid: 2 }]).map((r) => (r as { id: number }).id);
    group(core, sink, [{ type: 'subscribe', rid: 3, id: a, topic: 't' }, { type: 'subscribe', rid: 4, id: b, topic: 't' }]);
    const msgs = ['m0', 'm1', 'm2', 'm3', 'x'.repeat(70_000), 'm5', 'm6', 'm7'];
    const batch: PublishBatchFrame = { type: 'publish-batch', rid: 5, id: a, topic: 't', msgs };
    const framesBefore = sink.frames;
    core.request('lb1', batch, sink);
    core.flush();
    const expected: ReplyBatchFrame = {
      type: 'reply-batch',
      rid: 5,
      runs: [
        { count: 4, status: 2, description: '' },
        { count: 1, status: -3, description: 'message is 70000 bytes; limit is 65536' },
        { count: 1, status: 2, description: '' },
        { count: 2, status: -5, description: '2 subscriber queues are full (limit 5 messages or 67108864 bytes); nothing was queued' },
      ],
    };
    assert.deepEqual(sink.batches.at(-1), expected);
    assert.equal(sink.frames - framesBefore, 1, 'the pushes of the group leave in one frame');
    for (const id of [a, b]) {
      assert.deepEqual(sink.pushes.filter((p) => p.id === id).map((p) => [p.seq, p.msg]), [[1, 'm0'], [2, 'm1'], [3, 'm2'], [4, 'm3'], [5, 'm5']], `FIFO of id ${id}`);
    }
    core.request('lb1', batch, sink);
    core.flush();
    assert.deepEqual(sink.batches.at(-1), expected, 'a resent batch gets its original outcomes');
    assert.equal(sink.pushes.length, 10, 'and is applied once');
    // after a restart the batch's reply is still remembered (one row for the whole batch)
    core = openLimited();
    const again = new Sink();
    core.attach('lb1', again);
    core.request('lb1', batch, again);
    core.flush();
    assert.deepEqual(again.batches, [expected]);
    assert.equal(again.pushes.length, 10, 'the re-pushes after hello, nothing queued twice');
    // an id of another local broker: every publish of the batch gets -1
    core.request('lb2', { ...batch, rid: 6 }, again);
    core.flush();
    assert.deepEqual(again.batches.at(-1), { type: 'reply-batch', rid: 6, runs: [{ count: 8, status: -1, description: `id ${a} is not registered at this local broker` }] });
  });
});
