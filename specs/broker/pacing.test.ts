// Publish pacing (actors/broker/server/pacing.ts) on the real server core and store: a publisher
// ahead of a subscriber by more than the threshold gets its successful publish replies once the
// subscriber has consumed back under it, or after at most maxHoldMs; failures (-5) never wait;
// other operations never wait; held replies keep their order.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SERVER_LIMITS } from '../../actors/broker/limits.ts';
import { BrokerCore, type LbSink } from '../../actors/broker/server/core.ts';
import { openJournal } from '../../actors/broker/server/journal.ts';
import type { BrokerReply, ReplyBatchFrame } from '../../protocols/broker/index.ts';
import { publisherAndSubscriber } from './core-groups.ts';
import { tmp, waitFor } from './helpers.ts';

class Sink implements LbSink {
  replies: (BrokerReply | ReplyBatchFrame)[] = [];
  reply(r: BrokerReply | ReplyBatchFrame): void {
    this.replies.push(r);
  }
  deliver(): void {}
}

function setup(maxPendingMessages = 10_000): { core: BrokerCore; sink: Sink; a: number; b: number } {
  const core = new BrokerCore(openJournal(tmp(), 'full'), { limits: { ...DEFAULT_SERVER_LIMITS, maxPendingMessages }, pushWindow: 4, onFatal: (e) => assert.fail(e) }, ['general']);
  const sink = new Sink();
  core.attach('lb1', sink);
  const { a, b } = publisherAndSubscriber(core, sink);
  sink.replies = [];
  return { core, sink, a, b };
}

const batch = (rid: number, id: number, n: number) => ({ type: 'publish-batch' as const, rid, id, topic: 't', msgs: Array.from({ length: n }, (_, i) => `m${rid}.${i}`) });

describe('publish pacing', () => {
  it('holds successful publish replies while a queue they reached is over the threshold, releases them in order once it is consumed under', () => {
    const { core, sink, a, b } = setup();
    assert.equal(core.pacer.threshold, 64);
    core.request('lb1', batch(10, a, 40), sink);
    core.flush();
    assert.deepEqual(sink.replies.map((r) => r.rid), [10], 'under the threshold: at once');
    core.request('lb1', batch(11, a, 40), sink); // 80 pending now
    core.flush();
    core.request('lb1', { type: 'publish', rid: 12, id: a, topic: 't', msg: 'one' }, sink);
    core.request('lb1', { type: 'subscribe', rid: 13, id: a, topic: 'u' }, sink);
    core.flush();
    assert.deepEqual(sink.replies.map((r) => r.rid), [10, 13], 'the publishes wait; the subscribe does not');
    core.consumed('lb1', b, 10); // 71 pending: still over
    core.flush();
    assert.deepEqual(sink.replies.map((r) => r.rid), [10, 13]);
    core.consumed('lb1', b, 30); // 51 pending
    core.flush();
    assert.deepEqual(sink.replies.map((r) => r.rid), [10, 13, 11, 12], 'released in their order');
    assert.deepEqual((sink.replies[2] as ReplyBatchFrame).runs, [{ count: 40, status: 1, description: '' }]);
    assert.equal(core.pacer.stats.releasedByTimer, 0);
    core.pacer.stop();
  });

  it('a subscriber that does not consume delays its publishers by at most maxHoldMs; -5 answers at once', async () => {
    const { core, sink, a } = setup(100);
    core.request('lb1', batch(10, a, 70), sink);
    core.flush();
    assert.equal(sink.replies.length, 0, 'held');
    const t0 = performance.now();
    await waitFor(() => sink.replies.length === 1, 'the held reply after maxHoldMs');
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(core.pacer.stats.releasedByTimer, 1);
    core.request('lb1', batch(11, a, 40), sink); // 30 fit, 10 over the limit of 100
    core.flush();
    const r = sink.replies.at(-1) as ReplyBatchFrame;
    assert.equal(r.rid, 11, 'a batch with a -5 is not held');
    assert.deepEqual(r.runs.map((x) => [x.count, x.status]), [[30, 1], [10, -5]]);
    core.request('lb1', { type: 'publish', rid: 12, id: a, topic: 't', msg: 'x' }, sink);
    core.flush();
    assert.equal((sink.replies.at(-1) as BrokerReply).rid, 12, 'a single -5 is not held');
    assert.equal((sink.replies.at(-1) as BrokerReply).type, 'error');
    core.pacer.stop();
  });
});
