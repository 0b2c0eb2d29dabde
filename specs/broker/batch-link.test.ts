// Batch frames on a real link under a small frame cap (maxFrameBytes 2048 on both sides): a run of
// pipelined publishes is split into several publish-batch frames and the pushes of a turn into
// several deliver-batch frames, and still every publish keeps its own status and every subscriber
// gets each message once, in order (multi-byte text included). The client cuts its batch lines to
// the local broker's line cap.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerClient } from '../../actors/broker/client.ts';
import { startCluster, waitFor, type Cluster } from './helpers.ts';

describe('broker batch frames under a small frame cap', () => {
  let k: Cluster;
  before(async () => {
    k = await startCluster({ lbs: 1, server: { limits: { maxFrameBytes: 2048 } }, local: { limits: { maxFrameBytes: 2048 } } });
  });
  after(() => k.stop());

  it('publish batches and deliveries are split at the cap; statuses, counts and FIFO hold', async () => {
    // the client cuts its batch lines to the local broker's line cap
    const c = await BrokerClient.connect({ socket: k.lbs[0].socket, maxLineBytes: 2048 });
    const subs = [await c.create(), await c.create()];
    for (const s of subs) await c.subscribe(s, 'cap');
    const pub = await c.create();
    // 100-character messages: about six per publish-batch frame (the LB counts 3 bytes a unit)
    const msgs = Array.from({ length: 60 }, (_, i) => `${String(i).padStart(3, '0')}-${(i % 7 === 0 ? 'é' : 'x').repeat(96)}`);
    const opsBefore = k.server.core.stats.ops;
    const statuses = await Promise.all(msgs.map((m) => c.publish(pub, m, 'cap')));
    assert.deepEqual(statuses, msgs.map(() => 2), 'each publish reached both subscribers');
    const frames = k.server.core.stats.ops - opsBefore;
    assert.ok(frames >= 9 && frames < 60, `one run of 60 publishes crossed as ${frames} publish-batch frames`);
    for (const s of subs) {
      const reader = await BrokerClient.connect({ socket: k.lbs[0].socket });
      const got: string[] = [];
      const seqs: number[] = [];
      for await (const m of reader.messages(s, { credit: 16 })) {
        got.push(m.msg);
        seqs.push(m.seq);
        if (got.length === msgs.length) break;
      }
      assert.deepEqual(got, msgs, `id ${s} got every message once, in order`);
      assert.deepEqual(seqs, msgs.map((_, i) => seqs[0] + i), 'consecutive seqs');
      reader.close();
    }
    await waitFor(() => k.server.core.state.clients.get(subs[0])?.consumed === msgs.length, 'the consumed reports to reach the server');
    c.close();
  });

  it('a run of pipelined publishes longer than the line cap leaves in several lines (no -9)', async () => {
    const c = await BrokerClient.connect({ socket: k.lbs[0].socket, maxLineBytes: 2048 });
    const id = await c.create();
    const statuses = await Promise.all(Array.from({ length: 40 }, () => c.publish(id, 'y'.repeat(300), 'nobody')));
    assert.deepEqual(statuses, statuses.map(() => 0));
    c.close();
  });
});
