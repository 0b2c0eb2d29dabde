// Concurrency (broker.md §12): fc.scheduler interleaves concurrent creates and subscribes from
// several clients of two local brokers; ids come out unique, and every subscription exists exactly
// once (one "subscribed now" per id and topic, the rest "already subscribed").
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { BrokerClient, type JsonReply } from '../../actors/broker/client.ts';
import { startCluster, type Cluster } from './helpers.ts';

describe('broker concurrency', () => {
  let k: Cluster;
  let clients: BrokerClient[][];
  before(async () => {
    k = await startCluster({ lbs: 2 });
    clients = await Promise.all(k.lbs.map(async (lb) => [await BrokerClient.connect({ socket: lb.socket }), await BrokerClient.connect({ socket: lb.socket })]));
  });
  after(async () => {
    for (const cs of clients) for (const c of cs) c.close();
    await k.stop();
  });

  it('concurrent creates and subscribes: unique ids, no lost or doubled subscriptions', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.tuple(fc.nat(1), fc.nat(1)), { minLength: 2, maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(7), fc.constantFrom('p', 'q', 'r'), fc.nat(1)), { minLength: 1, maxLength: 20 }),
        async (s, creates, subs) => {
          round++;
          const made = Promise.all(
            creates.map(([lb, c]) => s.schedule(Promise.resolve(), `create@lb${lb}/c${c}`).then(() => clients[lb][c].call({ type: 'create' })).then((r) => ({ lb, r }))),
          );
          await s.waitAll();
          const ids = await made;
          for (const { r } of ids) assert.ok(r.status >= 1, JSON.stringify(r));
          for (const lb of [0, 1]) {
            const mine = ids.filter((x) => x.lb === lb).map((x) => x.r.status);
            assert.equal(new Set(mine).size, mine.length, `local ids unique at lb${lb}`);
          }
          const gids = ids.map(({ lb, r }) => k.lbs[lb].broker.ids.gid(r.status)!);
          assert.equal(new Set(gids).size, gids.length, 'global ids unique');
          const topic = (t: string): string => `${t}${round}`;
          const replies: { key: string; r: JsonReply }[] = [];
          const tasks = subs.map(([i, t, c]) => {
            const { lb, r } = ids[i % ids.length];
            return s.schedule(Promise.resolve(), `subscribe ${r.status}@lb${lb} ${t}`).then(async () => {
              replies.push({ key: `${gids[i % ids.length]}/${topic(t)}`, r: await clients[lb][c].call({ type: 'subscribe', id: r.status, topic: topic(t) }) });
            });
          });
          await s.waitAll();
          await Promise.all(tasks);
          const keys = new Set(replies.map((x) => x.key));
          for (const key of keys) {
            const statuses = replies.filter((x) => x.key === key).map((x) => x.r.status).sort();
            assert.deepEqual(statuses, [0, ...statuses.slice(1).map(() => 1)], `${key}: exactly one "subscribed now"`);
            const [gid, t] = key.split('/');
            assert.ok(k.server.core.state.topics.get(t)!.subs.has(Number(gid)), `${key} is subscribed on the server`);
          }
          for (const t of ['p', 'q', 'r']) {
            const subsOnServer = k.server.core.state.topics.get(topic(t))?.subs.size ?? 0;
            assert.equal(subsOnServer, [...keys].filter((key) => key.endsWith(`/${topic(t)}`)).length, `no extra subscriber of ${topic(t)}`);
          }
          assert.ok(k.server.core.state.indexesAgree());
        },
      ),
      { numRuns: 30 },
    );
  });
});
