// The properties of broker.md §12 over a real server and two local brokers (ws link, Unix
// sockets, store on disk), with fresh ids per run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { BrokerClient } from '../../actors/broker/client.ts';
import { startCluster, type Cluster } from './helpers.ts';

const topicName = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,20}$/);
const message = fc.string({ maxLength: 50, unit: 'binary' }).filter((s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed());

/** Everything pending for `id`, drained with non-blocking recvs. */
async function drain(c: BrokerClient, id: number): Promise<{ topic: string; msg: string; seq: number }[]> {
  const out = [];
  for (;;) {
    const m = await c.recv(id);
    if (!m) return out;
    out.push(m);
  }
}

/** Waits until `n` messages were received by `id` (pushes to another local broker are asynchronous). */
async function take(c: BrokerClient, id: number, n: number): Promise<{ topic: string; msg: string; seq: number }[]> {
  const out = [];
  while (out.length < n) {
    const m = await c.recv(id, { timeoutMs: 5000 });
    assert.ok(m, `message ${out.length + 1} of ${n} arrived`);
    out.push(m);
  }
  return out;
}

describe('broker properties', () => {
  let k: Cluster;
  let a: BrokerClient;
  let b: BrokerClient;
  before(async () => {
    k = await startCluster({ lbs: 2 });
    [a, b] = k.clients;
  });
  after(async () => {
    await k.stop();
  });

  it('subscribing twice gives a single delivery (D1)', async () => {
    await fc.assert(
      fc.asyncProperty(topicName, message, fc.integer({ min: 2, max: 4 }), async (t, msg, times) => {
        const sub = await b.create();
        const pub = await a.create();
        assert.equal(await b.subscribe(sub, t), true);
        for (let i = 1; i < times; i++) assert.equal(await b.subscribe(sub, t), false);
        assert.equal(await a.publish(pub, msg, t), 1);
        assert.deepEqual((await take(b, sub, 1)).map((m) => m.msg), [msg]);
        assert.equal(await b.recv(sub, { timeoutMs: 50 }), null);
        await b.destroy(sub);
        await a.destroy(pub);
      }),
      { numRuns: 15 },
    );
  });

  it('a publish before a subscribe is never delivered; publishing to no subscriber is status 0 (D6)', async () => {
    await fc.assert(
      fc.asyncProperty(topicName, fc.array(message, { minLength: 1, maxLength: 5 }), message, async (t, before, afterMsg) => {
        const t2 = `x${t}`.slice(0, 100);
        const pub = await a.create();
        const sub = await b.create();
        for (const m of before) assert.equal(await a.publish(pub, m, t2), 0);
        await b.subscribe(sub, t2);
        assert.equal(await a.publish(pub, afterMsg, t2), 1);
        assert.deepEqual((await take(b, sub, 1)).map((m) => m.msg), [afterMsg]);
        assert.equal(await b.recv(sub, { timeoutMs: 30 }), null);
        await a.destroy(pub);
        await b.destroy(sub);
      }),
      { numRuns: 10 },
    );
  });

  it('messages of one topic arrive in FIFO order, across topics in publish order (D5)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('t1', 't2', 't3'), message), { minLength: 1, maxLength: 30 }), async (pubs) => {
        const pub = await a.create();
        const sub = await b.create();
        for (const t of ['t1', 't2', 't3']) await b.subscribe(sub, t);
        for (const [t, m] of pubs) assert.equal(await a.publish(pub, m, t), 1);
        const got = await take(b, sub, pubs.length);
        assert.deepEqual(got.map((m) => [m.topic, m.msg]), pubs);
        for (let i = 1; i < got.length; i++) assert.ok(got[i].seq > got[i - 1].seq, 'seq increases');
        await a.destroy(pub);
        await b.destroy(sub);
      }),
      { numRuns: 10 },
    );
  });

  it('the publisher receives its own copy when subscribed (D2); a non-blocking recv on an empty inbox is 0', async () => {
    await fc.assert(
      fc.asyncProperty(topicName, message, async (t, msg) => {
        const id = await a.create();
        assert.deepEqual(await a.call({ type: 'recv', id, wait: false }), { rid: (await a.call({ type: 'recv', id, wait: false })).rid - 1, status: 0, description: 'no message' });
        await a.subscribe(id, t);
        assert.equal(await a.publish(id, msg, t), 1);
        const m = await a.recv(id);
        assert.deepEqual(m && [m.topic, m.msg], [t, msg]);
        await a.destroy(id);
      }),
      { numRuns: 10 },
    );
  });

  it('unsubscribe purges the pending messages of that topic only, and subscribing again does not bring them back (D4)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), message), { minLength: 1, maxLength: 20 }), async (pubs) => {
        const pub = await a.create();
        const sub = await b.create();
        await b.subscribe(sub, 'keep');
        await b.subscribe(sub, 'drop');
        for (const [keep, m] of pubs) await a.publish(pub, m, keep ? 'keep' : 'drop');
        // the pushes reach b's local broker before or after the unsubscribe: both must be purged
        assert.equal(await b.unsubscribe(sub, 'drop'), true);
        assert.equal(await b.unsubscribe(sub, 'drop'), false);
        await b.subscribe(sub, 'drop');
        const kept = pubs.filter(([k]) => k).map(([, m]) => m);
        assert.deepEqual((await take(b, sub, kept.length)).map((m) => m.msg), kept);
        assert.equal(await b.recv(sub, { timeoutMs: 30 }), null);
        await a.destroy(pub);
        await b.destroy(sub);
      }),
      { numRuns: 10 },
    );
  });

  it('destroy leaves no subscriptions and its id returns -1 for every operation, through any local broker', async () => {
    const id = await a.create();
    await a.subscribe(id, 'd1');
    await a.subscribe(id, 'd2');
    const pub = await a.create();
    await a.publish(pub, 'x', 'd1');
    const gid = k.lbs[0].broker.ids.gid(id)!;
    await a.destroy(id);
    assert.equal(k.server.core.state.clients.has(gid), false);
    for (const t of ['d1', 'd2']) assert.equal(k.server.core.state.topics.get(t)!.subs.has(gid), false);
    assert.equal(await a.publish(pub, 'y', 'd1'), 0);
    for (const c of [a, b]) {
      for (const body of [
        { type: 'publish' as const, id, msg: 'm', topic: 'd1' },
        { type: 'subscribe' as const, id, topic: 'd1' },
        { type: 'unsubscribe' as const, id, topic: 'd1' },
        { type: 'recv' as const, id, wait: false },
        { type: 'destroy' as const, id },
      ]) {
        const r = await c.call(body);
        assert.equal(r.status, -1, `${body.type} after destroy`);
        assert.match(r.description, new RegExp(`id ${id} is not registered`));
      }
    }
    // an id of one local broker is unknown at the other
    const newestAtB = await b.create();
    let mine = await a.create();
    while (mine <= newestAtB) mine = await a.create();
    assert.equal((await b.call({ type: 'subscribe', id: mine, topic: 'z' })).status, -1);
    assert.equal((await a.call({ type: 'subscribe', id: mine, topic: 'z' })).status, 0);
  });

  it('recv --wait blocks until a message; --timeout returns 0 after it; destroy ends a blocked recv with -1', async () => {
    const id = await b.create();
    await b.subscribe(id, 'w');
    const pub = await a.create();
    const t0 = performance.now();
    assert.equal(await b.recv(id, { timeoutMs: 150 }), null);
    assert.ok(performance.now() - t0 >= 140, 'waited about the timeout');
    const waiting = b.recv(id, { wait: true });
    await a.publish(pub, 'late', 'w');
    assert.equal((await waiting)?.msg, 'late');
    const blocked = b.call({ type: 'recv', id, wait: true });
    await new Promise((r) => setTimeout(r, 20));
    await a.call({ type: 'create' }); // unrelated traffic
    const other = await b.call({ type: 'destroy', id });
    assert.equal(other.status, 0);
    assert.equal((await blocked).status, -1);
  });

  it('a recv whose caller went away before the reply was written consumes nothing (D3)', async () => {
    const id = await a.create();
    await a.subscribe(id, 'gone');
    await a.publish(id, 'first', 'gone');
    await a.publish(id, 'second', 'gone');
    const lb = k.lbs[0].broker;
    // the caller's connection closes right after the request is handled, before its reply leaves
    const caller = { alive: true };
    const reply = await lb.handle({ type: 'recv', rid: 1, id, wait: false }, caller);
    caller.alive = false;
    assert.equal(reply.type === 'reply' && reply.delivery?.msg, 'first');
    // a parked recv whose caller is gone when the message arrives does not take it either
    const parkedCaller = { alive: true };
    const other = await a.create();
    await a.subscribe(other, 'gone2');
    const parked = lb.handle({ type: 'recv', rid: 2, id: other, wait: false, timeoutMs: 200 }, parkedCaller);
    parkedCaller.alive = false;
    await a.publish(other, 'third', 'gone2');
    assert.equal((await parked).type === 'reply' && (await parked as { status: number }).status, 0);
    assert.deepEqual((await drain(a, id)).map((m) => m.msg), ['first', 'second']);
    assert.deepEqual((await take(a, other, 1)).map((m) => m.msg), ['third']);
  });

  it('a full subscriber queue fails the publish with -5 and queues it nowhere (atomic fan-out)', async () => {
    const k2 = await startCluster({ lbs: 1, server: { limits: { maxPendingMessages: 3 }, pushWindow: 2 } });
    try {
      const c = k2.clients[0];
      const full = await c.create();
      const free = await c.create();
      await c.subscribe(full, 'q');
      await c.subscribe(free, 'q');
      for (let i = 0; i < 3; i++) assert.equal(await c.publish(free, `m${i}`, 'q'), 2);
      for (let i = 0; i < 3; i++) assert.equal((await c.recv(free, { timeoutMs: 2000 }))?.msg, `m${i}`);
      const r = await c.call({ type: 'publish', id: free, msg: 'over', topic: 'q' });
      assert.equal(r.status, -5);
      assert.match(r.description, /1 subscriber queue is full \(limit 3 messages/);
      assert.equal(await c.recv(free, { timeoutMs: 50 }), null, 'the other subscriber did not get it either');
      assert.deepEqual((await take(c, full, 3)).map((m) => m.msg), ['m0', 'm1', 'm2']);
      assert.equal(await c.recv(full, { timeoutMs: 50 }), null);
    } finally {
      await k2.stop();
    }
  });
});
