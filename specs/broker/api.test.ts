// The package entry `actor-runtime/broker` as a program uses it: typed helpers, BrokerError with
// code and name, and the async iterator over an id's messages.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerClient, BrokerError, BROKER_ERRORS } from 'actor-runtime/broker';
import { startCluster, type Cluster } from './helpers.ts';

describe('actor-runtime/broker client API', () => {
  let k: Cluster;
  let client: BrokerClient;
  before(async () => {
    k = await startCluster({ lbs: 1 });
    client = await BrokerClient.connect({ socket: k.lbs[0].socket });
  });
  after(async () => {
    client.close();
    await k.stop();
  });

  it('create, subscribe, publish and iterate over messages; errors are BrokerErrors', async () => {
    const id = await client.create();
    assert.equal(await client.subscribe(id, 'api'), true);
    const ctl = new AbortController();
    const got: string[] = [];
    const reading = (async () => {
      for await (const m of client.messages(id, { signal: ctl.signal, pollMs: 100 })) {
        got.push(m.msg);
        if (got.length === 3) ctl.abort();
      }
    })();
    for (const msg of ['one', 'two', 'three']) assert.equal(await client.publish(id, msg, 'api'), 1);
    await reading;
    assert.deepEqual(got, ['one', 'two', 'three']);
    await assert.rejects(client.publish(id + 1000, 'x', 'api'), (e: unknown) => e instanceof BrokerError && e.code === BROKER_ERRORS.UNKNOWN_ID && e.codeName === 'UNKNOWN_ID');
    await assert.rejects(BrokerClient.connect({ socket: '/nonexistent/lb.sock' }), (e: unknown) => e instanceof BrokerError && e.code === -6);
  });

  it('pipelined publishes leave in batches: each keeps its own status, error and place in the order', async () => {
    const sub = await client.create();
    const other = await client.create();
    assert.equal(await client.subscribe(sub, 'piped'), true);
    assert.equal(await client.subscribe(sub, 'side'), true);
    // one tick: a run to 'piped' with an oversize message inside, a publish to 'side' that breaks
    // the run, the rest of the run, and a run from an id that does not exist
    const sent: Promise<number>[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) {
      const msg = i === 150 ? 'x'.repeat(70_000) : `m${i}`;
      sent.push(client.publish(other, msg, 'piped'));
      if (i !== 150) expected.push(`piped ${msg}`);
      if (i === 200) {
        sent.push(client.publish(other, 'between', 'side'));
        expected.push('side between');
      }
    }
    const ghost = Promise.allSettled([client.publish(other + 1000, 'a', 'piped'), client.publish(other + 1000, 'x'.repeat(70_000), 'piped'), client.publish(other + 1000, 'b', 'piped')]);
    const results = await Promise.allSettled(sent);
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [[i, (r.reason as BrokerError).code]] : []));
    assert.deepEqual(failed, [[150, BROKER_ERRORS.MESSAGE_TOO_LARGE]], 'only the oversize message fails');
    for (const r of results) if (r.status === 'fulfilled') assert.equal(r.value, 1);
    // as for single publishes, a bad argument is reported before an unknown id
    assert.deepEqual((await ghost).map((g) => (g.status === 'rejected' ? (g.reason as BrokerError).code : 0)), [BROKER_ERRORS.UNKNOWN_ID, BROKER_ERRORS.MESSAGE_TOO_LARGE, BROKER_ERRORS.UNKNOWN_ID]);
    await assert.rejects(client.publish(other + 1000, 'x'.repeat(70_000), 'piped'), (e: unknown) => e instanceof BrokerError && e.code === BROKER_ERRORS.MESSAGE_TOO_LARGE, 'a single publish agrees');
    const got: string[] = [];
    for await (const m of client.messages(sub, { signal: AbortSignal.timeout(10_000) })) {
      got.push(`${m.topic} ${m.msg}`);
      if (got.length === expected.length) break;
    }
    assert.deepEqual(got, expected, 'delivered in call order (D5)');
  });
});
