// Acceptance A6-A9, A12, A13, A21 (dispatcher.md §9) over real loopback sockets: routing by slot
// and generation, slot reuse, capacity, the allow-list (a client bound to 127.0.0.2 is denied),
// least-loaded assignment, duplicate-peer eviction, and clients that leave early.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sharedOnMain } from '../../actors/dispatcher/shared.ts';
import { Client, compatEntry, freePort, sleep, startHarness, tmpDir, tx, type Harness } from './helpers.ts';

async function waitLive(h: Harness, n: number, name?: string): Promise<void> {
  const end = Date.now() + 3000;
  while ((await h.view(name)).gauges.liveConnections !== n) {
    if (Date.now() > end) throw new Error(`liveConnections never reached ${n}`);
    await sleep(10);
  }
}

function guids(c: Client): string[] {
  return c.replies.map((r) => JSON.parse(r).GUID);
}

describe('connections', () => {
  it('A6: no cross-talk; a lone client in a non-zero slot is answered; 50 clients get only their own', async () => {
    const port = await freePort();
    const h = await startHarness([compatEntry(port, tmpDir(), { Workers: { Min: 4, Max: 4 }, Handler: { Kind: 'legacy-tx', ServiceDelayMs: 5 } })]);
    try {
      const a = await Client.connect(port);
      await waitLive(h, 1);
      const b = await Client.connect(port);
      await waitLive(h, 2);
      b.send(tx('B1'));
      await b.reply(1);
      await sleep(100);
      assert.equal(a.raw.length, 0, 'A read nothing');
      a.close();
      await waitLive(h, 1);
      const v = await h.view();
      assert.equal(v.table.length, 1);
      assert.equal(v.table[0].slot, 1, 'B is alone in slot 1');
      b.send(tx('B2'));
      await b.reply(2);
      assert.deepEqual(guids(b), ['B1', 'B2']);
      b.close();
      await waitLive(h, 0);

      const clients = await Promise.all(Array.from({ length: 50 }, () => Client.connect(port)));
      clients.forEach((c, i) => c.sendRaw(tx(`G${i}a`) + tx(`G${i}b`) + tx(`G${i}c`)));
      await Promise.all(clients.map((c) => c.reply(3, 5000)));
      await sleep(50);
      clients.forEach((c, i) => assert.deepEqual(guids(c), [`G${i}a`, `G${i}b`, `G${i}c`]));
      for (const c of clients) c.close();
    } finally {
      await h.stop();
    }
  });

  it('A7: a reply for a closed connection never reaches the next one in the slot (staleReplies +1); A21: the client leaving early frees the slot', async () => {
    const port = await freePort();
    const h = await startHarness([compatEntry(port, tmpDir(), { Handler: { Kind: 'legacy-tx', ServiceDelayMs: 250 } })]);
    try {
      const a = await Client.connect(port);
      a.send(tx('A'));
      await waitLive(h, 1);
      await sleep(20);
      a.reset(); // gone (RST); a FIN would be a half-close, whose pending replies are still written
      await waitLive(h, 0);
      const c = await Client.connect(port);
      await waitLive(h, 1);
      const v = await h.view();
      assert.equal(v.table[0].slot, 0);
      assert.equal(v.table[0].gen, 1, 'C took slot 0 with the next generation');
      await sleep(400);
      assert.equal(c.raw.length, 0, 'C never receives A’s reply');
      assert.equal((await h.view()).counters.staleReplies, 1, JSON.stringify((await h.view()).counters));
      c.send(tx('C'));
      assert.deepEqual(await c.reply(1), [c.replies[0]]);
      assert.deepEqual(guids(c), ['C']);
      c.close();
    } finally {
      await h.stop();
    }
  });

  it('A8: MaxConnections 3: a 4th client reads EOF with 0 bytes at once; after one closes a new client is served', async () => {
    const port = await freePort();
    const h = await startHarness([compatEntry(port, tmpDir(), { MaxConnections: 3 })]);
    try {
      const cs = await Promise.all([0, 1, 2].map(() => Client.connect(port)));
      await waitLive(h, 3);
      const t0 = Date.now();
      const d = await Client.connect(port);
      await d.waitEnd(1000);
      assert.ok(Date.now() - t0 < 100, `EOF after ${Date.now() - t0} ms`);
      assert.equal(d.raw.length, 0);
      cs.forEach((c, i) => c.send(tx(`K${i}`)));
      await Promise.all(cs.map((c) => c.reply(1)));
      cs.forEach((c, i) => assert.deepEqual(guids(c), [`K${i}`]));
      const v = await h.view();
      assert.equal(v.counters.rejectedFull, 1);
      assert.equal(v.gauges.liveConnections, 3);
      cs[1].close();
      await waitLive(h, 2);
      const e = await Client.connect(port);
      e.send(tx('E'));
      await e.reply(1);
      assert.deepEqual(guids(e), ['E']);
      for (const c of [...cs, e, d]) c.close();
    } finally {
      await h.stop();
    }
  });

  it('A9: allow-list: denied peers are closed with 0 bytes and leave the table alone', async () => {
    const dir = tmpDir();
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    const h = await startHarness([
      compatEntry(p1, dir, { Name: 'ten', Allow: ['10.0.0.0/8'] }),
      compatEntry(p2, dir, { Name: 'local', Allow: ['127.0.0.1/32'] }),
      compatEntry(p3, dir, { Name: 'none', Allow: [] }),
    ]);
    try {
      const before = await h.view('ten');
      const d1 = await Client.connect(p1);
      await d1.waitEnd();
      assert.equal(d1.raw.length, 0);
      const after = await h.view('ten');
      assert.equal(after.counters.denied, 1);
      assert.equal(after.counters.accepted, 0);
      assert.deepEqual(after.gauges.groupLoads, before.gauges.groupLoads);
      assert.equal(after.table.length, 0);
      // 127.0.0.1/32: a client from 127.0.0.1 is served, one bound to 127.0.0.2 is denied
      const ok = await Client.connect(p2);
      ok.send(tx('OK'));
      await ok.reply(1);
      const d2 = await Client.connect(p2, 'legacy', '127.0.0.2');
      await d2.waitEnd();
      assert.equal(d2.raw.length, 0);
      const lv = await h.view('local');
      assert.equal(lv.counters.denied, 1);
      assert.equal(lv.gauges.liveConnections, 1);
      // Allow: [] denies everyone
      const d3 = await Client.connect(p3);
      await d3.waitEnd();
      assert.equal((await h.view('none')).counters.denied, 1);
      for (const c of [d1, ok, d2, d3]) c.close();
    } finally {
      await h.stop();
    }
  });

  it('A12: least-loaded groups, ties to the lowest index', async () => {
    const port = await freePort();
    const h = await startHarness([compatEntry(port, tmpDir(), { NumThreads: 2 })]);
    try {
      const groupOf = async (c: Client): Promise<number> => {
        const lp = c.sock.localPort;
        const row = (await h.view()).table.find((r) => r.peer.endsWith(`:${lp}`));
        assert.ok(row, `no row for port ${lp}`);
        return row.group;
      };
      const c1 = await Client.connect(port);
      await waitLive(h, 1);
      const c2 = await Client.connect(port);
      await waitLive(h, 2);
      assert.equal(await groupOf(c1), 0);
      assert.equal(await groupOf(c2), 1);
      c1.close();
      await waitLive(h, 1);
      const c3 = await Client.connect(port);
      await waitLive(h, 2);
      assert.equal(await groupOf(c3), 0);
      const c4 = await Client.connect(port);
      await waitLive(h, 3);
      assert.equal(await groupOf(c4), 0, 'tie goes to g0');
      assert.deepEqual((await h.view()).gauges.groupLoads, [2, 1]);
      for (const c of [c2, c3, c4]) c.close();
    } finally {
      await h.stop();
    }
  });

  it('A13: a new peer with the IP:port of a live slot evicts it first, even with a full table', async () => {
    const port = await freePort();
    const localPort = await freePort();
    // threads: 0 puts the I/O subtree on this thread, so the test can reach the table.
    const h = await startHarness([compatEntry(port, tmpDir(), { MaxConnections: 2 })], { threads: 0 });
    try {
      const a = await Client.connect(port);
      const b = await Client.connect(port);
      await waitLive(h, 2);
      // Make slot 0 look like a half-open connection from 127.0.0.1:<localPort>.
      const s = sharedOnMain(h.sys, `${h.section.path}/dispatch01/io`)!;
      const row = s.table.rows[0];
      row.port = localPort;
      const c = await Client.connect(port, 'legacy', '127.0.0.1', localPort);
      await a.waitEnd(); // the old connection is closed, no further bytes
      assert.equal(a.raw.length, 0);
      c.send(tx('NEW'));
      await c.reply(1);
      assert.deepEqual(guids(c), ['NEW']);
      const v = await h.view();
      assert.equal(v.counters.evicted, 1);
      assert.equal(v.counters.rejectedFull, 0);
      assert.equal(v.gauges.liveConnections, 2);
      assert.equal(v.table.find((r) => r.peer.endsWith(`:${localPort}`))?.gen, 1);
      for (const x of [a, b, c]) x.close();
    } finally {
      await h.stop();
    }
  });

  it('A21: a client that leaves before its reply: reply dropped, slot freed, service continues', async () => {
    const port = await freePort();
    const h = await startHarness([compatEntry(port, tmpDir(), { Handler: { Kind: 'legacy-tx', ServiceDelayMs: 100 } })]);
    try {
      const a = await Client.connect(port);
      a.send(tx('GONE'));
      await waitLive(h, 1);
      await sleep(20);
      a.reset();
      await waitLive(h, 0);
      await sleep(200);
      const v = await h.view();
      assert.equal(v.counters.staleReplies, 1, JSON.stringify(v.counters));
      assert.equal(v.gauges.inFlight, 0);
      const b = await Client.connect(port);
      b.send(tx('NEXT'));
      await b.reply(1);
      assert.deepEqual(guids(b), ['NEXT']);
      b.close();
      // A peer FIN is a half-close: the pending reply is still written, then the socket closes.
      const c = await Client.connect(port);
      c.send(tx('HALF'));
      c.sock.end();
      await c.waitEnd();
      assert.deepEqual(guids(c), ['HALF']);
      await waitLive(h, 0);
    } finally {
      await h.stop();
    }
  });
});
