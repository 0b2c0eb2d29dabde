// §7.1 I/O actor failures, as fault drills on a system whose I/O subtree runs on this thread:
// an Acceptor or a group that crashes closes the connections it owns and frees their slots
// (generation + 1) before it restarts; the Acceptor re-binds. A crashed RequestQueue gets its
// workers back and keeps serving.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cell } from '../../runtime/actor/cell.ts';
import { Client, compatEntry, freePort, sleep, startHarness, tmpDir, tx, type Harness } from './helpers.ts';

function crash(h: Harness, path: string): void {
  const cell = (h.sys.host.cells as Map<string, Cell>).get(path);
  assert.ok(cell, `no actor ${path}`);
  cell.crash(new Error('fault drill'));
}

async function until(f: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await f()) return;
    await sleep(10);
  }
  throw new Error(`timed out: ${what}`);
}

describe('I/O actor failures', () => {
  it('a crashed Acceptor closes every connection, frees the slots, re-binds', async () => {
    const port = await freePort();
    const h = await startHarness([compatEntry(port, tmpDir(), { Restart: { QuickDeathMs: 50 } })], { threads: 0 });
    try {
      const a = await Client.connect(port);
      const b = await Client.connect(port);
      await until(async () => (await h.view()).gauges.liveConnections === 2, 'two connections');
      await sleep(100);
      crash(h, `${h.section.path}/dispatch01/io/acceptor`);
      await a.waitEnd();
      await b.waitEnd();
      await until(async () => (await h.view()).gauges.liveConnections === 0, 'empty table');
      const c = await Client.connect(port);
      c.send(tx('AFTER'));
      assert.equal(JSON.parse((await c.reply(1))[0]).GUID, 'AFTER');
      const v = await h.view();
      assert.equal(v.table[0].slot, 0);
      assert.equal(v.table[0].gen, 1, 'the freed slot got a new generation');
      assert.equal(v.counters.restarts, 1);
      c.close();
    } finally {
      await h.stop();
    }
  });

  it('a crashed group closes only its own connections', async () => {
    const port = await freePort();
    const h = await startHarness([compatEntry(port, tmpDir(), { NumThreads: 2, Restart: { QuickDeathMs: 50 } })], { threads: 0 });
    try {
      const a = await Client.connect(port); // g0
      await until(async () => (await h.view()).gauges.liveConnections === 1, 'a');
      const b = await Client.connect(port); // g1
      await until(async () => (await h.view()).gauges.liveConnections === 2, 'b');
      await sleep(100);
      crash(h, `${h.section.path}/dispatch01/io/g0`);
      await a.waitEnd();
      b.send(tx('B'));
      assert.equal(JSON.parse((await b.reply(1))[0]).GUID, 'B');
      assert.deepEqual((await h.view()).gauges.groupLoads, [0, 1]);
      b.close();
    } finally {
      await h.stop();
    }
  });

  it('a crashed RequestQueue gets its workers back and keeps serving', async () => {
    const port = await freePort();
    const h = await startHarness([compatEntry(port, tmpDir(), { Workers: { Min: 2, Max: 2 }, Restart: { QuickDeathMs: 50 } })], { threads: 0 });
    try {
      await sleep(100);
      crash(h, `${h.section.path}/dispatch01/io/queue`);
      await sleep(50);
      const c = await Client.connect(port);
      c.sendRaw(tx('Q1') + tx('Q2') + tx('Q3'));
      const rs = await c.reply(3);
      assert.deepEqual(rs.map((r) => JSON.parse(r).GUID), ['Q1', 'Q2', 'Q3']);
      c.close();
    } finally {
      await h.stop();
    }
  });
});
