// The live view's server over real sockets, against a real system in this process: the secret's
// challenge (no, wrong and right answers), cross-origin and foreign-Host refusals, a public
// address without a secret, garbage bytes, and the caps on what a page can make it send (message
// size, request rate, resyncs, detail size, a page that never reads).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';
import fc from 'fast-check';
import { ActorSystem } from '../../runtime/index.ts';
import { Big, Quiet } from './fixtures.ts';
import { DEFAULT_CAPS, proofFor, startViewServer, systemSource, type ViewCaps, type ViewServer } from '../../runtime/view/index.ts';
import { waitFor } from './helpers.ts';

let sys: ActorSystem;
const servers: ViewServer[] = [];
const sockets: WebSocket[] = [];

before(async () => {
  sys = await ActorSystem.start({ threads: 1, logLevel: 'silent', name: 'view-server-test' });
  for (let i = 0; i < 20; i++) sys.spawn(Quiet, { name: `q${i}`, props: undefined, thread: i % 2 === 0 ? 'main' : 0 });
  sys.spawn(Big, { name: 'big', props: { kb: 400 }, thread: 'main' });
});
after(async () => {
  for (const s of sockets) s.terminate();
  for (const s of servers) await s.close();
  await sys.stop();
});

async function serve(o: { secret?: string; caps?: Partial<ViewCaps>; tickMs?: number } = {}): Promise<ViewServer> {
  const s = await startViewServer({ host: '127.0.0.1', port: 0, source: systemSource(sys), tickMs: o.tickMs ?? 200, snapshotMs: 200, secret: o.secret ?? null, caps: o.caps });
  servers.push(s);
  return s;
}

interface Client {
  ws: WebSocket;
  msgs: { type: string; [k: string]: unknown }[];
  bytes: () => number;
  closed: Promise<{ code: number; reason: string }>;
}

function client(s: ViewServer, headers: Record<string, string> = {}): Client {
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws`, { headers });
  sockets.push(ws);
  const msgs: Client['msgs'] = [];
  let bytes = 0;
  ws.on('message', (d) => {
    bytes += (d as Buffer).length;
    msgs.push(JSON.parse(d.toString()));
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  return { ws, msgs, bytes: () => bytes, closed };
}

const opened = (ws: WebSocket): Promise<void> => new Promise((r, j) => (ws.once('open', () => r()), ws.once('error', j)));
const has = (c: Client, type: string): boolean => c.msgs.some((m) => m.type === type);

test('with a secret, a page that does not authenticate is closed and never sees the system', async () => {
  const s = await serve({ secret: 'correct horse battery', caps: { authTimeoutMs: 300 } });
  const c = client(s);
  const { code } = await c.closed;
  assert.equal(code, 1008);
  assert.deepEqual(c.msgs.map((m) => m.type), ['challenge', 'error']);
  assert.ok(s.stats().refusedAuth >= 1);
  assert.equal(s.stats().attached, false);
});

test('with a secret, a wrong answer or any other first message is refused; the right answer gets the live state', async () => {
  const s = await serve({ secret: 'correct horse battery' });
  const wrong = client(s);
  await waitFor(() => has(wrong, 'challenge'), 'a challenge');
  wrong.ws.send(JSON.stringify({ op: 'auth', proof: proofFor('not the secret', String(wrong.msgs[0].nonce)) }));
  assert.equal((await wrong.closed).code, 1008);
  assert.ok(!has(wrong, 'full') && !has(wrong, 'hello'));

  const sneaky = client(s);
  await waitFor(() => has(sneaky, 'challenge'), 'a challenge');
  sneaky.ws.send(JSON.stringify({ op: 'resync' }));
  assert.equal((await sneaky.closed).code, 1008);
  assert.ok(!has(sneaky, 'full'));

  const good = client(s);
  await waitFor(() => has(good, 'challenge'), 'a challenge');
  const nonce = String(good.msgs[0].nonce);
  assert.notEqual(nonce, String(wrong.msgs[0].nonce), 'a fresh nonce per connection');
  good.ws.send(JSON.stringify({ op: 'auth', proof: proofFor('correct horse battery', nonce) }));
  const full = await waitFor(() => good.msgs.find((m) => m.type === 'full'), 'the full state');
  const paths = (full.actors as [string][]).map((r) => r[0]);
  assert.ok(paths.includes('/q1') && paths.includes('/big'), paths.join(' '));
  good.ws.close();
});

test('a public address is refused without a secret, with a message that says how to give one', async () => {
  await assert.rejects(startViewServer({ host: '0.0.0.0', port: 0, source: systemSource(sys), secret: null }), /not on a loopback address: set ACTOR_RUNTIME_NODE_SECRET/);
});

test('a cross-origin page and a foreign Host name are refused (403); garbage bytes do not disturb other pages', async () => {
  const s = await serve();
  const cross = new WebSocket(`ws://127.0.0.1:${s.port}/ws`, { origin: 'http://evil.example' });
  sockets.push(cross);
  const err = await new Promise<Error>((r) => cross.once('error', r));
  assert.match(err.message, /403/);
  const status = await new Promise<number>((r, j) => http.get({ host: '127.0.0.1', port: s.port, path: '/', headers: { Host: 'rebound.example' } }, (res) => (res.resume(), r(res.statusCode ?? 0))).on('error', j));
  assert.equal(status, 403);
  const raw = net.connect(s.port, '127.0.0.1');
  raw.on('error', () => {});
  raw.write(Buffer.from([0, 255, 13, 10, 13, 10, 1, 2, 3, 71, 69, 84]));
  const answer = await new Promise<string>((r) => {
    let got = '';
    raw.on('data', (d) => (got += d));
    raw.on('close', () => r(got));
  });
  assert.match(answer, /^HTTP\/1\.1 400/);
  const ok = client(s);
  await waitFor(() => has(ok, 'full'), 'the full state for a well-behaved page');
  ok.ws.close();
});

test('caps: an oversized message closes the page (1009); a flood of requests closes it (1008)', async () => {
  const s = await serve();
  const big = client(s);
  await opened(big.ws);
  big.ws.send('x'.repeat(DEFAULT_CAPS.maxPayload + 1));
  assert.equal((await big.closed).code, 1009);

  const flood = client(s);
  await opened(flood.ws);
  for (let i = 0; i < 200; i++) flood.ws.send('{"op":"details","path":"/q1"}');
  const { code, reason } = await flood.closed;
  assert.equal(code, 1008);
  assert.match(reason, /requests\/s/);
  // Answered at most the burst (twice the per-second rate), not the 200 asked for.
  assert.ok(flood.msgs.filter((m) => m.type === 'details').length <= DEFAULT_CAPS.requestsPerSecond * 2 + 1);
});

test('caps: resyncs are limited, details are cut at their byte cap', async () => {
  const s = await serve({ caps: { detailsBytes: 10_000 } });
  const c = client(s);
  await waitFor(() => has(c, 'full'), 'the first full state');
  for (let i = 0; i < 8; i++) c.ws.send('{"op":"resync"}');
  c.ws.send('{"op":"details","path":"/big"}');
  await waitFor(() => has(c, 'details'), 'the details answer');
  await waitFor(() => c.msgs.filter((m) => m.type === 'error').length >= 7, 'refused resyncs');
  assert.equal(c.msgs.filter((m) => m.type === 'full').length, 2, 'the first state and one resync');
  const d = c.msgs.find((m) => m.type === 'details')!;
  assert.match(JSON.stringify(d.info), /over the 10000-byte cap/);
  c.ws.send('{"op":"explode"}');
  await waitFor(() => c.msgs.some((m) => m.type === 'error' && /unknown op "explode"/.test(String(m.message))), 'an unknown op named');
  c.ws.close();
});

test('caps: a page that never reads gets nothing more queued past its buffer cap, then is closed', { timeout: 60_000 }, async () => {
  const cap = 256 * 1024;
  const s = await serve({ tickMs: 100, caps: { sendBufferBytes: cap, slowCloseMs: 1500, detailsBytes: 512 * 1024, requestsPerSecond: 15 } });
  const c = client(s);
  await waitFor(() => has(c, 'full'), 'the first full state');
  // Stop reading: the kernel buffers fill, then the server's queue would grow.
  (c.ws as unknown as { _socket: net.Socket })._socket.pause();
  const pump = setInterval(() => c.ws.readyState === WebSocket.OPEN && c.ws.send('{"op":"details","path":"/big"}'), 100);
  try {
    const { code } = await waitFor(() => Promise.race([c.closed, new Promise<null>((r) => setTimeout(() => r(null), 200))]), 'the slow page to be closed', 45_000);
    assert.equal(code, 1006, 'terminated');
  } finally {
    clearInterval(pump);
  }
  const st = s.stats();
  assert.equal(st.closedSlow, 1);
  assert.ok(st.dropped > 0, 'replies were dropped, not queued');
  assert.ok(st.maxBuffered <= cap + 512 * 1024 + 4096, `at most the cap plus one message was queued (max ${st.maxBuffered})`);
});

test('property: any requests a page sends get only well-formed answers (error, details, full) and leave the stream working', { timeout: 120_000 }, async () => {
  const s = await serve({ caps: { requestsPerSecond: 1000 } });
  const request = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 3 }),
    fc.record({ op: fc.constantFrom('resync', 'details', 'auth', 'nope', ''), path: fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom('/q1', '/big', '/')), proof: fc.string({ maxLength: 70 }) }).map((r) => JSON.stringify(r)),
  );
  const c = client(s);
  await waitFor(() => has(c, 'full'), 'the first full state');
  let pings = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 8 }), async (reqs) => {
      const from = c.msgs.length;
      for (const r of reqs) c.ws.send(r);
      // The last request is always answerable: the stream still works after whatever came before.
      const tag = `/ping-${++pings}`;
      c.ws.send(JSON.stringify({ op: 'details', path: tag }));
      await waitFor(() => c.msgs.slice(from).some((m) => m.type === 'details' && m.path === tag), 'the answer to the ping', 10_000, 2);
      for (const m of c.msgs.slice(from)) assert.ok(['error', 'details', 'full', 'tick'].includes(m.type), `unexpected ${m.type}`);
      assert.equal(c.ws.readyState, WebSocket.OPEN);
    }),
    { numRuns: 60 },
  );
  c.ws.close();
});
