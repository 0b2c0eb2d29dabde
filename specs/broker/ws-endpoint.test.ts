// The local broker's browser/remote ws endpoint: off by default, requires the secret, carries the
// same JSON requests and replies as the Unix socket (here from a real ws client, as the example
// page does), and a malformed message gets -9 and closes that connection only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startCluster, type Cluster } from './helpers.ts';

function open(url: string): Promise<{ ws: WebSocket; call(o: object): Promise<Record<string, unknown>> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const waiting = new Map<number, (r: Record<string, unknown>) => void>();
    let rid = 0;
    ws.on('message', (d) => {
      const r = JSON.parse(String(d));
      waiting.get(r.rid)?.(r);
    });
    ws.on('error', reject);
    ws.on('open', () => resolve({ ws, call: (o) => new Promise((res) => { waiting.set(++rid, res); ws.send(JSON.stringify({ rid, ...o })); }) }));
  });
}

describe('broker ws endpoint', () => {
  let k: Cluster;
  before(async () => {
    k = await startCluster({ lbs: 1, local: { wsListen: '127.0.0.1:0', secret: 's3cret' } });
  });
  after(() => k.stop());

  it('is off unless configured', async () => {
    const plain = await startCluster({ lbs: 1 });
    assert.equal(plain.lbs[0].wsPort, 0);
    await plain.stop();
  });

  it('refuses a wrong or missing secret', async () => {
    for (const q of ['', '?secret=nope']) await assert.rejects(open(`ws://127.0.0.1:${k.lbs[0].wsPort}/${q}`), /401/);
  });

  it('publishes and receives with the JSON requests of the socket', async () => {
    const a = await open(`ws://127.0.0.1:${k.lbs[0].wsPort}/?secret=s3cret`);
    const id = (await a.call({ op: 'create' })).status as number;
    assert.equal((await a.call({ op: 'subscribe', id, topic: 'web' })).status, 0);
    const waiting = a.call({ op: 'recv', id, wait: true });
    const unix = k.clients[0];
    const other = await unix.create();
    assert.equal(await unix.publish(other, 'from the socket side', 'web'), 1);
    assert.deepEqual({ ...(await waiting), rid: 0 }, { rid: 0, status: 1, description: 'a message', topic: 'web', msg: 'from the socket side', seq: 1 });
    const answer = new Promise<string>((r) => a.ws.once('message', (d) => r(String(d))));
    const closed = new Promise((r) => a.ws.on('close', r));
    a.ws.send('{"rid":9,"op":"explode"}');
    assert.equal(JSON.parse(await answer).status, -9);
    await closed;
    assert.equal((await unix.call({ type: 'create' })).status > 0, true, 'the socket side is unaffected');
  });
});
