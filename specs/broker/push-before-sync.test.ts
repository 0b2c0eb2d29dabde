// In a durable group, the window room that the group's consumed marks open is filled before the
// group's (blocking) commit, with messages earlier groups committed: every message the server
// pushes is on disk at the moment it is pushed, and pushes do not wait for this group's sync.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { DEFAULT_SERVER_LIMITS } from '../../actors/broker/limits.ts';
import { BrokerCore, type LbSink } from '../../actors/broker/server/core.ts';
import { openJournal } from '../../actors/broker/server/journal.ts';
import type { BrokerReply, DeliverRunsFrame, ReplyBatchFrame } from '../../protocols/broker/index.ts';
import { publisherAndSubscriber } from './core-groups.ts';
import { tmp } from './helpers.ts';

/** Records each push with what another connection to the store saw at that moment. */
class WatchingSink implements LbSink {
  readonly #db: DatabaseSync;
  pushes: { msg: string; committed: boolean; m5Visible: boolean }[] = [];
  replies: (BrokerReply | ReplyBatchFrame)[] = [];
  flushes = 0;
  constructor(dir: string) {
    this.#db = new DatabaseSync(join(dir, 'broker.sqlite'), { readOnly: true });
  }
  #visible(body: string): boolean {
    return (this.#db.prepare('SELECT count(*) AS n FROM payloads WHERE body = ?').get(body) as { n: number }).n === 1;
  }
  reply(r: BrokerReply | ReplyBatchFrame): void {
    this.replies.push(r);
  }
  deliver(f: DeliverRunsFrame): void {
    for (let j = 0; j < f.runs.length; j += 4) {
      for (let k = 0; k < f.runs[j + 3]; k++) {
        const msg = f.msgs[f.runs[j + 2] + k].msg;
        this.pushes.push({ msg, committed: this.#visible(msg), m5Visible: this.#visible('m5') });
      }
    }
  }
  flush(): void {
    this.flushes++;
  }
  close(): void {
    this.#db.close();
  }
}

describe('durable pushes', () => {
  it('fill the window room of a group before its commit, with committed messages only', () => {
    const dir = tmp();
    const core = new BrokerCore(openJournal(dir, 'full'), { limits: DEFAULT_SERVER_LIMITS, pushWindow: 2, onFatal: (e) => assert.fail(e) }, ['general']);
    const sink = new WatchingSink(dir);
    core.attach('lb1', sink);
    const { a, b } = publisherAndSubscriber(core, sink);
    core.request('lb1', { type: 'publish-batch', rid: 4, id: a, topic: 't', msgs: ['m1', 'm2', 'm3', 'm4'] }, sink);
    core.flush();
    assert.deepEqual(sink.pushes.map((p) => p.msg), ['m1', 'm2'], 'the window');
    // one group: b consumed m1 and m2, and a publishes m5
    core.consumed('lb1', b, 2);
    core.request('lb1', { type: 'publish', rid: 5, id: a, topic: 't', msg: 'm5' }, sink);
    core.flush();
    const late = sink.pushes.slice(2);
    assert.deepEqual(late.map((p) => p.msg), ['m3', 'm4']);
    assert.ok(late.every((p) => p.committed), 'pushed messages are on disk');
    assert.ok(late.every((p) => !p.m5Visible), "pushed before the group's own commit");
    assert.ok(sink.flushes > 0, 'and sent at once');
    assert.ok(sink.pushes.every((p) => p.committed));
    assert.equal(sink.replies.at(-1)?.rid, 5);
    // room for two: m5 (committed before) goes before the commit, m6 (this group's) only after it
    core.consumed('lb1', b, 4);
    core.request('lb1', { type: 'publish', rid: 6, id: a, topic: 't', msg: 'm6' }, sink);
    core.flush();
    assert.deepEqual(sink.pushes.slice(4).map((p) => [p.msg, p.committed]), [['m5', true], ['m6', true]]);
    sink.close();
  });
});
