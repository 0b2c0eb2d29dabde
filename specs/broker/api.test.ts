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
});
