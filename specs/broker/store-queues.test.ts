// The server store's queue entries (actors/broker/server/journal.ts): a publish is one payload row
// carrying its (gid, seq) entries, ended by the gid's consumed mark or an unsubscribe's `dropped`
// row. Across restarts of the real core on the real store: purges stay purged (D4), seqs are not
// reused, a destroyed id's payloads go, and a store with per-subscriber pending rows (the older
// layout) still loads its queues.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { DEFAULT_SERVER_LIMITS } from '../../actors/broker/limits.ts';
import { BrokerCore, type LbSink } from '../../actors/broker/server/core.ts';
import { openJournal } from '../../actors/broker/server/journal.ts';
import type { BrokerReply, BrokerRequest, DeliverFrame, DeliverRunsFrame, ReplyBatchFrame } from '../../protocols/broker/index.ts';
import { tmp } from './helpers.ts';

class Sink implements LbSink {
  replies: BrokerReply[] = [];
  pushes: DeliverFrame[] = [];
  reply(r: BrokerReply | ReplyBatchFrame): void {
    if (r.type !== 'reply-batch') this.replies.push(r);
  }
  deliver(f: DeliverRunsFrame): void {
    for (let j = 0; j < f.runs.length; j += 4) {
      for (let k = 0; k < f.runs[j + 3]; k++) {
        const m = f.msgs[f.runs[j + 2] + k];
        this.pushes.push({ type: 'deliver', id: f.runs[j], seq: f.runs[j + 1] + k, topic: f.topics[m.topic], msg: m.msg });
      }
    }
  }
}

function open(dir: string): { core: BrokerCore; sink: Sink } {
  const core = new BrokerCore(openJournal(dir, 'full'), { limits: DEFAULT_SERVER_LIMITS, pushWindow: 1000, onFatal: (e) => assert.fail(e) }, ['general']);
  const sink = new Sink();
  core.attach('lb1', sink);
  return { core, sink };
}

type Body = BrokerRequest extends infer R ? (R extends { rid: number } ? Omit<R, 'rid'> : never) : never;

let rid = 1;
function run(core: BrokerCore, sink: Sink, reqs: Body[]): BrokerReply[] {
  const from = sink.replies.length;
  for (const r of reqs) core.request('lb1', { ...r, rid: rid++ } as BrokerRequest, sink);
  core.flush();
  return sink.replies.slice(from);
}

const pushesOf = (sink: Sink, id: number): [number, string, string][] => sink.pushes.filter((p) => p.id === id).map((p) => [p.seq, p.topic, p.msg]);

function count(dir: string, table: string): number {
  const db = new DatabaseSync(join(dir, 'broker.sqlite'), { readOnly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('server store: queue entries in payload rows', () => {
  it('an unsubscribe purge stays purged across restarts, consumed marks hold, seqs are never reused', () => {
    const dir = tmp();
    let { core, sink } = open(dir);
    const [a, p] = run(core, sink, [{ type: 'create' }, { type: 'create' }]).map((r) => (r as { id: number }).id);
    run(core, sink, [{ type: 'subscribe', id: a, topic: 't' }, { type: 'subscribe', id: a, topic: 'u' }]);
    run(core, sink, [1, 2, 3, 4, 5, 6].map((i) => ({ type: 'publish' as const, id: p, topic: i % 2 ? 't' : 'u', msg: `m${i}` })));
    core.consumed('lb1', a, 2);
    core.flush();
    run(core, sink, [{ type: 'unsubscribe', id: a, topic: 't' }]);
    assert.equal(count(dir, 'dropped'), 2, 'the purged entries m3 and m5 are named');
    ({ core, sink } = open(dir));
    assert.deepEqual(pushesOf(sink, a), [[4, 'u', 'm4'], [6, 'u', 'm6']], 'after a restart: only what is neither consumed nor purged, same seqs');
    run(core, sink, [{ type: 'publish', id: p, topic: 'u', msg: 'm7' }]);
    assert.deepEqual(pushesOf(sink, a).at(-1), [7, 'u', 'm7'], 'the next seq follows the purged ones');
    core.consumed('lb1', a, 7);
    core.flush();
    assert.equal(count(dir, 'dropped'), 0, 'tombstones under the consumed mark go');
    assert.equal(count(dir, 'payloads'), 0, 'and every payload, each consumed or purged');
    ({ core, sink } = open(dir));
    assert.deepEqual(pushesOf(sink, a), []);
  });

  it("a destroyed id's entries are gone after a restart, and payloads nobody needs are deleted", () => {
    const dir = tmp();
    let { core, sink } = open(dir);
    const [a, b, p] = run(core, sink, [{ type: 'create' }, { type: 'create' }, { type: 'create' }]).map((r) => (r as { id: number }).id);
    run(core, sink, [{ type: 'subscribe', id: a, topic: 't' }, { type: 'subscribe', id: b, topic: 't' }]);
    run(core, sink, [{ type: 'publish', id: p, topic: 't', msg: 'x' }, { type: 'publish', id: p, topic: 't', msg: 'y' }]);
    core.consumed('lb1', b, 2);
    core.flush();
    assert.equal(count(dir, 'payloads'), 2);
    run(core, sink, [{ type: 'destroy', id: a }]);
    assert.equal(count(dir, 'payloads'), 0);
    ({ core, sink } = open(dir));
    assert.deepEqual(sink.pushes, []);
  });

  it('a store with per-subscriber pending rows (the older layout) loads its queues, and consumes clear those rows', () => {
    const dir = tmp();
    let { core, sink } = open(dir);
    const [a, p] = run(core, sink, [{ type: 'create' }, { type: 'create' }]).map((r) => (r as { id: number }).id);
    run(core, sink, [{ type: 'subscribe', id: a, topic: 't' }]);
    const db = new DatabaseSync(join(dir, 'broker.sqlite'));
    const tid = (db.prepare("SELECT tid FROM topics WHERE name = 't'").get() as { tid: number }).tid;
    db.exec('BEGIN');
    db.prepare('INSERT INTO payloads(mid, tid, body) VALUES (?, ?, ?), (?, ?, ?)').run(50, tid, 'old1', 51, tid, 'old2');
    db.prepare('INSERT INTO pending(gid, seq, mid) VALUES (?, ?, ?), (?, ?, ?)').run(a, 1, 50, a, 2, 51);
    db.prepare('UPDATE clients SET next_seq = 3 WHERE gid = ?').run(a);
    db.exec('COMMIT');
    db.close();
    ({ core, sink } = open(dir));
    assert.deepEqual(pushesOf(sink, a), [[1, 't', 'old1'], [2, 't', 'old2']]);
    run(core, sink, [{ type: 'publish', id: p, topic: 't', msg: 'new' }]);
    assert.deepEqual(pushesOf(sink, a).at(-1), [3, 't', 'new'], 'a new payload id past the old ones, the next seq');
    core.consumed('lb1', a, 2);
    core.flush();
    assert.equal(count(dir, 'pending'), 0);
    ({ core, sink } = open(dir));
    assert.deepEqual(pushesOf(sink, a), [[3, 't', 'new']]);
  });
});
