// Input fuzzing (broker.md §6.2, §10, §12): hostile topic names are rejected with -2 or accepted,
// never reach a path; messages at the size limit pass and one byte over fails with -3, never
// truncated; garbage on the client socket and on the server link affects only that connection.
// Afterwards the data folders hold only the stores' own files.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { BrokerClient } from '../../actors/broker/client.ts';
import { LB_STORE_FILES } from '../../actors/broker/local/idmap.ts';
import { SERVER_STORE_FILES } from '../../actors/broker/server/journal.ts';
import { encodeBrokerFrame } from '../../protocols/broker/index.ts';
import { ActorSystem } from '../../runtime/index.ts';
import { SERVER_NODE } from '../../actors/broker/link/node-link.ts';
import { BROKER_LINK_ACTOR, LinkEndpoint, LocalLinkHub, type LinkMsg } from '../../actors/broker/link/node-transport.ts';
import { startCluster, waitFor, type Cluster } from './helpers.ts';

const VALID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
const hostile = fc.oneof(
  fc.constantFrom('../x', 'a/b', '/etc/passwd', '$(touch x)', '`touch y`', "it's", '"q"', 'a\u0000b', 'ñandú', '日本', '.hidden', '-dash', 'a b', '', 'x'.repeat(100), 'x'.repeat(101), 'con', 'a\nb', '%s%n', '_ok.name-1'),
  fc.string({ maxLength: 120, unit: 'binary' }),
  fc.stringMatching(/^[A-Za-z0-9._\-/$ ]{0,110}$/),
);

describe('broker input fuzzing', () => {
  let k: Cluster;
  let c: BrokerClient;
  let id: number;
  before(async () => {
    k = await startCluster({ lbs: 1 });
    c = k.clients[0];
    id = await c.create();
  });
  after(async () => {
    await k.stop();
  });

  it('a topic name is either rejected with -2 or accepted, by the rule of §6.2', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (topic) => {
        if (!(topic as unknown as { isWellFormed(): boolean }).isWellFormed()) return;
        for (const r of [await c.call({ type: 'subscribe', id, topic }), await c.call({ type: 'publish', id, topic, msg: 'm' })]) {
          if (VALID.test(topic)) assert.ok(r.status >= 0, `${JSON.stringify(topic)} accepted: ${JSON.stringify(r)}`);
          else {
            assert.equal(r.status, -2, `${JSON.stringify(topic)} rejected: ${JSON.stringify(r)}`);
            assert.ok(r.description.length > 0 && !r.description.includes('\n'), 'one line');
          }
        }
        while (await c.recv(id)) {
          // drain the copies of our own publishes (D2)
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a message of exactly maxMessageBytes is delivered whole; one byte more is -3 and nothing is queued', async () => {
    await c.subscribe(id, 'big');
    for (const unit of ['a', 'é', '€', '😀']) {
      const bytes = Buffer.byteLength(unit);
      const at = unit.repeat(Math.floor(65_536 / bytes)) + 'a'.repeat(65_536 % bytes);
      assert.equal(Buffer.byteLength(at), 65_536);
      assert.equal(await c.publish(id, at, 'big'), 1);
      assert.equal((await c.recv(id, { timeoutMs: 5000 }))?.msg, at);
      const over = at + 'a';
      const r = await c.call({ type: 'publish', id, msg: over, topic: 'big' });
      assert.equal(r.status, -3);
      assert.equal(r.description, 'message is 65537 bytes; limit is 65536');
      assert.equal(await c.recv(id, { timeoutMs: 30 }), null);
    }
    assert.equal((await c.call({ type: 'publish', id, msg: '', topic: 'big' })).status, 1, 'an empty message is a message');
    assert.equal((await c.recv(id, { timeoutMs: 5000 }))?.msg, '');
  });

  it('bad ids and timeouts are -4 with a description; a malformed line gets -9 and closes only that connection', async () => {
    for (const bad of [0, -1, 1.5, 2 ** 53]) assert.equal((await c.call({ type: 'subscribe', id: bad, topic: 'x' })).status, -4);
    assert.equal((await c.call({ type: 'recv', id, wait: false, timeoutMs: 86_400_001 })).status, -4);
    const raw = connect(k.lbs[0].socket);
    let text = '';
    raw.on('data', (d) => (text += d));
    const closed = new Promise((r) => raw.on('close', r));
    raw.write('{"rid":1,"op":"nope"}\n');
    await closed;
    const reply = JSON.parse(text.trim());
    assert.equal(reply.status, -9);
    assert.equal(reply.rid, 0);
    assert.match(reply.description, /unknown op "nope"/);
    for (const junk of ['\u0000\u0001\u0002\n', 'not json\n', '[1,2]\n', '{"rid":2,"op":"create","extra":1}\n']) {
      const s = connect(k.lbs[0].socket);
      let got = '';
      s.on('data', (d) => (got += d));
      await new Promise((r) => s.on('connect', r));
      s.write(junk);
      await new Promise((r) => s.on('close', r));
      assert.equal(JSON.parse(got).status, -9, `${JSON.stringify(junk)} answered -9`);
    }
    assert.ok((await c.create()) > id, 'the other connection still works');
  });

  it('garbage on the server link gets an error frame and closes that link only', async () => {
    // a hostile local broker node (it holds the node secret) sends hello, then bytes that do not decode
    const fuzzer = await ActorSystem.start({ name: 'fuzzer', threads: 0, statsIntervalMs: 0, node: { name: 'fuzzer', peers: [{ name: SERVER_NODE, url: `ws://127.0.0.1:${k.server.port}` }] } });
    try {
      await fuzzer.node!.connected(SERVER_NODE);
      const server = fuzzer.node!.ref<LinkMsg>(`${SERVER_NODE}:/${BROKER_LINK_ACTOR}`);
      const hub = new LocalLinkHub(server, 1024 * 1024);
      fuzzer.spawn(LinkEndpoint, { name: BROKER_LINK_ACTOR, props: { hub }, thread: 'main' });
      await waitFor(() => hub.self, 'the fuzzer endpoint');
      const frames: unknown[] = [];
      let closedWith = '';
      const t = hub.dial('fuzzer', { frame: (f) => frames.push(f), closed: (r) => (closedWith = r) });
      t.send({ type: 'hello', version: 1, lbId: 'fuzzer' });
      server.tell({ type: 'frames', life: t.life, from: hub.self!, bytes: new Uint8Array([0, 0, 0, 3, 0x7f, 1, 2]) });
      await waitFor(() => closedWith, 'the bad link to close');
      assert.match(closedWith, /closed by the broker server \(protocol error/);
      assert.deepEqual(frames.map((f) => (f as { type: string; code?: number }).code), [-9]);
    } finally {
      await fuzzer.stop();
    }
    // a raw ws client without the node secret never gets to speak: garbage before authentication closes it
    const ws = new WebSocket(`ws://127.0.0.1:${k.server.port}`);
    await new Promise((r) => ws.on('open', r));
    const closed = new Promise((r) => ws.on('close', r));
    ws.send(encodeBrokerFrame({ type: 'hello', version: 1, lbId: 'intruder' }));
    await closed;
    assert.equal(k.lbs[0].broker.link.phase, 'open');
    assert.equal(await c.publish(id, 'still', 'big'), 1);
    await waitFor(() => c.recv(id), 'delivery after the bad link');
  });

  it('the data folders hold only the stores\' own files', () => {
    assert.deepEqual(readdirSync(k.dir).sort(), ['lb0', 'srv']);
    for (const f of readdirSync(join(k.dir, 'srv'))) assert.ok(SERVER_STORE_FILES.includes(f), `unexpected ${f} in the server data folder`);
    for (const f of readdirSync(join(k.dir, 'lb0'))) assert.ok([...LB_STORE_FILES, 'lb.sock'].includes(f), `unexpected ${f} in the local broker data folder`);
  });
});
