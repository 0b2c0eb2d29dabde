// Streaming receive over a real local broker and server (real Unix socket, real ws link): the
// credit window, cumulative acks, what happens to unacknowledged messages when the client goes
// away, the one-consumer rule, destroy ending a stream, and a bad stream line.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BrokerClient, BrokerError } from '../../actors/broker/client.ts';
import { startCluster, waitFor, type Cluster } from './helpers.ts';

/** A raw socket to the local broker that collects parsed lines. */
async function raw(path: string): Promise<{ s: Socket; lines: Record<string, unknown>[]; send(o: object): void }> {
  const s = connect(path);
  await new Promise((r) => s.once('connect', r));
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  s.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  return { s, lines, send: (o) => s.write(JSON.stringify(o) + '\n') };
}

/** The [topic, msg, seq] of every streamed message in the lines so far (either batch line form). */
const streamed = (lines: Record<string, unknown>[]): unknown[][] =>
  lines.flatMap((l) => {
    if (!Array.isArray(l.msgs)) return [];
    if (typeof l.topic === 'string') return (l.msgs as string[]).map((m, i) => [l.topic, m, (l.seq as number) + i]);
    return l.msgs as unknown[][];
  });

describe('broker streaming receive', () => {
  let k: Cluster;
  let c: BrokerClient;
  before(async () => {
    k = await startCluster({ lbs: 1 });
    c = k.clients[0];
  });
  after(() => k.stop());

  it('messages() yields every message in order, across many batches', async () => {
    const id = await c.create();
    await c.subscribe(id, 'many');
    const ctl = new AbortController();
    const got: number[] = [];
    const reading = (async () => {
      for await (const m of c.messages(id, { signal: ctl.signal, credit: 16 })) {
        got.push(Number(m.msg));
        if (got.length === 500) ctl.abort();
      }
    })();
    await Promise.all(Array.from({ length: 500 }, (_, i) => i).map((i) => c.publish(id, String(i), 'many')));
    await reading;
    // publishes are pipelined on one connection, so they are applied in the order sent
    assert.deepEqual(got, Array.from({ length: 500 }, (_, i) => i));
    assert.equal(await c.recv(id), null, 'everything streamed was consumed');
  });

  it('pushes at most `credit` unacknowledged messages; an ack refills the window', async () => {
    const id = await c.create();
    await c.subscribe(id, 'win');
    const r = await raw(k.lbs[0].socket);
    r.send({ rid: 7, op: 'stream', id, credit: 3 });
    await waitFor(() => r.lines.find((l) => l.rid === 7), 'the stream to open');
    assert.equal(r.lines[0].status, 0);
    for (let i = 1; i <= 8; i++) await c.publish(id, `m${i}`, 'win');
    await waitFor(() => streamed(r.lines).length === 3, 'three messages');
    const seqs = streamed(r.lines).map((t) => t[2] as number);
    // the link round trip of one more publish: nothing beyond the window arrived meanwhile
    await c.publish(id, 'm9', 'win');
    assert.equal(streamed(r.lines).length, 3);
    r.send({ rid: 7, op: 'ack', seq: seqs[1] });
    await waitFor(() => streamed(r.lines).length === 5, 'two more after acking two');
    assert.deepEqual(streamed(r.lines).map((t) => t[1]), ['m1', 'm2', 'm3', 'm4', 'm5']);
    r.s.destroy();
  });

  it('messages a client did not acknowledge stay pending when it goes away (same seq)', async () => {
    const id = await c.create();
    await c.subscribe(id, 'gone');
    const r = await raw(k.lbs[0].socket);
    r.send({ rid: 1, op: 'stream', id, credit: 10 });
    for (const m of ['a', 'b', 'c']) await c.publish(id, m, 'gone');
    await waitFor(() => streamed(r.lines).length === 3, 'three streamed');
    const seqs = streamed(r.lines).map((t) => t[2]);
    r.send({ rid: 1, op: 'ack', seq: seqs[0] });
    r.s.destroy();
    const m2 = await waitFor(async () => {
      const m = await c.recv(id).catch(() => null); // -4 while the closed stream is still attached
      return m;
    }, 'b back in the inbox');
    assert.deepEqual([m2.msg, m2.seq], ['b', seqs[1]]);
    assert.deepEqual((await c.recv(id))?.msg, 'c');
    assert.equal(await c.recv(id), null);
  });

  it('one consumer per id: recv and a second stream get -4 while a stream is open', async () => {
    const id = await c.create();
    const ctl = new AbortController();
    const it1 = c.messages(id, { signal: ctl.signal })[Symbol.asyncIterator]();
    const first = it1.next();
    const other = await BrokerClient.connect({ socket: k.lbs[0].socket });
    await waitFor(async () => (await other.call({ type: 'recv', id, wait: false })).status === -4, 'recv refused while streamed');
    await assert.rejects(other.messages(id).next(), (e: unknown) => e instanceof BrokerError && e.code === -4 && /already has a stream/.test(e.description));
    ctl.abort();
    assert.deepEqual(await first, { done: true, value: undefined });
    await waitFor(async () => (await other.call({ type: 'recv', id, wait: false })).status === 0, 'recv available again');
    other.close();
  });

  it('destroy ends the stream with -1', async () => {
    const id = await c.create();
    const reading = (async () => {
      for await (const _ of c.messages(id)) void _;
    })();
    await waitFor(async () => (await c.call({ type: 'recv', id, wait: false })).status === -4, 'the stream to be open');
    await c.destroy(id);
    await assert.rejects(reading, (e: unknown) => e instanceof BrokerError && e.code === -1 && /destroyed/.test(e.description));
  });

  it('a bad stream line gets -9 and closes that connection only; a bad credit gets -4', async () => {
    const r = await raw(k.lbs[0].socket);
    r.send({ rid: 1, op: 'stream', id: 1, credit: 0 });
    await waitFor(() => r.lines.length === 1, 'the credit reply');
    assert.equal(r.lines[0].status, -4);
    assert.match(String(r.lines[0].description), /credit must be 1\.\.65536, got 0/);
    r.send({ rid: 2, op: 'ack', seq: 'x' });
    await waitFor(() => r.lines.length === 2 && r.lines[1].status === -9, 'the -9 line');
    await waitFor(() => r.s.readableEnded, 'the connection to close');
    assert.ok((await c.create()) > 0, 'other connections keep working');
  });
});
