// Links authenticate both ways before any mail crosses; bad peers are refused with a log line
// naming the peer and the reason, and reach no actor. TLS (wss) with untrusted certificates and
// mutual TLS; frames over the cap, garbage and records nested too deep after the handshake close
// that link only.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { ActorSystem } from '../../runtime/index.ts';
import { wsTransport } from '../../runtime/nodes/ws-transport.ts';
import { dialHandshake } from '../../runtime/nodes/handshake.ts';
import { encodeFrame, W_RUN, W_SYS } from '../../runtime/nodes/codec.ts';
import { startNodeProcess, startLocalNode, linked, waitFor, SECRET, type NodeProcess } from './helpers.ts';

const TLS_DIR = new URL('./fixtures/tls/', import.meta.url).pathname;
const started: NodeProcess[] = [];
const systems: ActorSystem[] = [];
after(async () => {
  for (const s of systems) await s.stop();
  for (const p of started) await p.stop();
});

async function node(cfg: Parameters<typeof startNodeProcess>[0], env?: NodeJS.ProcessEnv): Promise<NodeProcess> {
  const p = await startNodeProcess(cfg, env);
  started.push(p);
  return p;
}

async function local(name: string, peers: { name: string; url: string }[], extra = {}): Promise<ActorSystem> {
  const s = await startLocalNode(name, peers, { ...extra }, 0);
  systems.push(s);
  return s;
}

/** Authenticates with the right secret like a node, then behaves badly. */
async function insider(url: string, peer: string): Promise<import('../../runtime/nodes/transport.ts').FrameChannel> {
  const ch = await wsTransport({ maxFrameBytes: 1 << 24 }).dial(url);
  await dialHandshake(ch, 'mallory', 'inc-1', peer, Buffer.from(SECRET), 'node', 3000);
  return ch;
}

const logLines = (p: NodeProcess): Record<string, unknown>[] =>
  p
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('a node needs a secret from a file or the environment, never the topology', async () => {
  await assert.rejects(
    ActorSystem.start({ threads: 0, node: { name: 'x', secretEnv: 'ACTOR_RUNTIME_TEST_UNSET' } }),
    /no link secret: set the environment variable ACTOR_RUNTIME_TEST_UNSET or give secretFile/,
  );
  await assert.rejects(ActorSystem.start({ threads: 0, node: { name: 'x', secretFile: '/nonexistent/secret' } }), /cannot read the secret file \/nonexistent\/secret \(ENOENT\)/);
});

test('wrong secret, no secret, binary before auth, oversized frame and garbage: refused, logged, no actor reached', async () => {
  const b = await node({ name: 'b', maxFrameBytes: 64 * 1024, actors: [{ name: 'inbox', kind: 'Inbox' }] });

  // a node with the wrong secret cannot link, and says why
  const x = await node({ name: 'x', peers: [{ name: 'b', url: b.url }], actors: [] }, { ACTOR_RUNTIME_NODE_SECRET: 'a-wrong-secret-of-enough-bytes' });
  await waitFor(() => logLines(b).some((l) => l.msg === 'peer refused' && String(l.reason).includes('authentication failed for x (wrong secret)') && typeof l.remote === 'string'), 'b logs the wrong secret');
  await waitFor(() => logLines(x).some((l) => l.msg === 'link refused' && l.peer === 'b'), 'x logs its refusal');

  // no secret at all: a raw ws client answering the challenge with a made-up MAC
  const raw = new WebSocket(b.url);
  raw.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.t === 'challenge') raw.send(JSON.stringify({ t: 'hello', node: 'eve', nonce: randomBytes(32).toString('base64'), mac: 'guess' }));
  });
  await new Promise((r) => raw.once('close', r));
  await waitFor(() => logLines(b).some((l) => l.msg === 'peer refused' && String(l.reason).includes('authentication failed for eve')), 'b logs eve');

  // mail before authentication
  const early = new WebSocket(b.url);
  early.on('open', () => early.send(encodeFrame([W_RUN, '/inbox', -2, null, -1, ['sneaky']])));
  await new Promise((r) => early.once('close', r));
  await waitFor(() => logLines(b).some((l) => l.msg === 'peer refused' && String(l.reason).includes('a binary frame before authentication')), 'b logs the early frame');

  // an authenticated peer sending a frame over the cap, then one sending garbage
  const big = await insider(b.url, 'b');
  const bigClosed = new Promise<string>((r) => (big.onClose = r));
  big.send(encodeFrame([W_RUN, '/inbox', -2, null, -1, ['x'.repeat(100_000)]]));
  await bigClosed;
  await waitFor(() => logLines(b).some((l) => l.msg === 'peer node down' && l.peer === 'mallory' && /max payload/i.test(String(l.reason))), 'b logs the oversized frame');

  const junk = await insider(b.url, 'b');
  const junkClosed = new Promise<string>((r) => (junk.onClose = r));
  junk.send(Uint8Array.from([0x93, 0x04, 0xc1, 0xff, 0x00, ...randomBytes(64)]));
  await junkClosed;
  await waitFor(() => logLines(b).some((l) => String(l.msg).startsWith('bad frame from peer node') && l.peer === 'mallory' && typeof l.reason === 'string'), 'b logs the bad frame');

  // a system record nested past the depth limit closes that link (a message nested too deep is
  // refused alone, the link staying up: refusals.test.ts)
  const deepSys = await insider(b.url, 'b');
  const deepClosed = new Promise<string>((r) => (deepSys.onClose = r));
  let deep: unknown = 1;
  for (let i = 0; i < 80; i++) deep = { d: deep };
  deepSys.send(encodeFrame([W_SYS, '/inbox', -1, { t: 'stop', reason: { error: deep } }]));
  await deepClosed;
  await waitFor(() => logLines(b).some((l) => String(l.msg).startsWith('bad frame from peer node') && String(l.reason).includes('nested deeper than 64')), 'b logs the deep system record');

  // b is still up for honest peers, and its inbox never received anything
  const a = await local('a', [{ name: 'b', url: b.url }]);
  await linked(a, 'b');
  assert.deepEqual(await a.node!.ref('b:/inbox').ask({ type: 'dump' }), []);
  assert.equal(b.proc.exitCode, null);
});

test('wss: an untrusted certificate is refused; mutual TLS requires a client certificate from the CA', async () => {
  const tlsNode = { certFile: `${TLS_DIR}node.pem`, keyFile: `${TLS_DIR}node-key.pem`, caFile: `${TLS_DIR}ca.pem`, requireClientCert: true };
  const b = await node({ name: 'b', listen: 'wss://127.0.0.1:0', tls: tlsNode, actors: [{ name: 'inbox', kind: 'Inbox' }] });
  assert.match(b.url, /^wss:\/\/127\.0\.0\.1:\d+$/);

  // trusts only the rogue certificate as its CA: the server's certificate is untrusted
  const u = await local('u', [{ name: 'b', url: b.url }], { tls: { caFile: `${TLS_DIR}rogue.pem`, certFile: `${TLS_DIR}client.pem`, keyFile: `${TLS_DIR}client-key.pem` } });
  await assert.rejects(u.node!.connected('b', 600), /no link to node b/);

  // trusts the CA but shows no client certificate: b refuses it at the TLS layer
  const n = await local('n', [{ name: 'b', url: b.url }], { tls: { caFile: `${TLS_DIR}ca.pem` } });
  await assert.rejects(n.node!.connected('b', 600), /no link to node b/);
  // a client certificate that the CA did not sign
  const r = await local('r', [{ name: 'b', url: b.url }], { tls: { caFile: `${TLS_DIR}ca.pem`, certFile: `${TLS_DIR}rogue.pem`, keyFile: `${TLS_DIR}rogue-key.pem` } });
  await assert.rejects(r.node!.connected('b', 600), /no link to node b/);
  await waitFor(() => logLines(b).some((l) => l.msg === 'peer refused' && String(l.reason).startsWith('TLS:')), 'b logs a TLS refusal');

  // the right CA and a client certificate from it: linked, and mail flows
  const ok = await local('ok', [{ name: 'b', url: b.url }], { tls: { caFile: `${TLS_DIR}ca.pem`, certFile: `${TLS_DIR}client.pem`, keyFile: `${TLS_DIR}client-key.pem` } });
  await linked(ok, 'b');
  ok.node!.ref('b:/inbox').tell({ hi: 1 });
  assert.deepEqual(await ok.node!.ref('b:/inbox').ask({ type: 'dump' }), [{ from: null, msg: { hi: 1 } }]);
});
