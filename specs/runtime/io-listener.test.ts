// runtime/io listeners over real sockets: TCP, TLS and Unix stream; bind-failed with a clear
// error; admission (refuse sends no byte, end sends a clean EOF); stop accepting; drain with a
// deadline; two listeners sharing a port with reusePort.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { Listener, listen, BindError, type Admission } from '../../runtime/io/index.ts';
import { waitFor } from './helpers.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'io-listener-'));
const listeners: Listener[] = [];
after(() => {
  for (const l of listeners) l.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function track(l: Listener): Listener {
  listeners.push(l);
  return l;
}

/** Connects and collects what the server sends until the connection ends. */
function exchange(opts: net.NetConnectOpts, send?: string): Promise<{ data: string; how: 'end' | 'error' }> {
  return new Promise((resolve) => {
    const c = net.connect(opts);
    let data = '';
    // Send, then half-close: a server that answers and ends lets us read to the end.
    c.on('connect', () => (send === undefined ? c.end() : c.end(send)));
    c.on('data', (b) => (data += b.toString()));
    c.on('end', () => {
      c.end();
      resolve({ data, how: 'end' });
    });
    c.on('error', () => resolve({ data, how: 'error' }));
  });
}

const echo = (s: net.Socket): void => {
  s.on('data', (b) => s.write(b));
  s.on('end', () => s.end());
  s.resume();
};

test('tcp: ready gives the bound address; sockets arrive paused and admitted', async () => {
  const peers: string[] = [];
  const l = track(await listen({ target: { kind: 'tcp', host: '127.0.0.1', port: 0 }, onConnection: (s, p) => (peers.push(p.address), echo(s)) }));
  assert.ok(l.listening);
  assert.match(l.address, /^127\.0\.0\.1:\d+$/);
  assert.ok(l.port > 0);
  const r = await exchange({ host: '127.0.0.1', port: l.port }, 'hello');
  assert.deepEqual(r, { data: 'hello', how: 'end' });
  assert.deepEqual(peers, ['127.0.0.1']);
});

test('bind-failed: the port in use rejects ready with a BindError naming the address', async () => {
  const a = track(await listen({ target: { kind: 'tcp', host: '127.0.0.1', port: 0 }, onConnection: echo }));
  const b = new Listener({ target: { kind: 'tcp', host: '127.0.0.1', port: a.port }, onConnection: echo });
  await assert.rejects(b.ready, (err: unknown) => {
    assert.ok(err instanceof BindError);
    assert.equal(err.code, 'EADDRINUSE');
    assert.equal(err.message.split('\n').length, 1);
    assert.ok(err.message.startsWith(`cannot listen on 127.0.0.1:${a.port}: `), err.message);
    return true;
  });
  assert.equal(b.listening, false);
});

test('admission: refuse sends no byte, end gives a clean EOF, accept reaches onConnection', async () => {
  let verdict: Admission = 'refuse';
  let reached = 0;
  const l = track(
    await listen({
      target: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      admit: () => verdict,
      onConnection: (s) => {
        reached++;
        s.end('welcome');
      },
    }),
  );
  const refused = await exchange({ host: '127.0.0.1', port: l.port });
  assert.equal(refused.data, '');
  verdict = 'end';
  const ended = await exchange({ host: '127.0.0.1', port: l.port });
  assert.deepEqual(ended, { data: '', how: 'end' });
  assert.equal(reached, 0);
  verdict = 'accept';
  const ok = await exchange({ host: '127.0.0.1', port: l.port });
  assert.equal(ok.data, 'welcome');
  assert.equal(reached, 1);
});

test('stop: later connects are refused; accepted sockets stay open', async () => {
  let held: net.Socket | null = null;
  const l = track(await listen({ target: { kind: 'tcp', host: '127.0.0.1', port: 0 }, onConnection: (s) => ((held = s), echo(s)) }));
  const c = net.connect({ host: '127.0.0.1', port: l.port });
  c.on('error', () => {});
  await waitFor(() => held, 'the first connection');
  l.stop();
  const late = await exchange({ host: '127.0.0.1', port: l.port });
  assert.equal(late.how, 'error');
  const got = new Promise<string>((r) => c.once('data', (b) => r(b.toString())));
  c.write('still here');
  assert.equal(await got, 'still here');
  c.destroy();
});

test('drain: resolves 0 when the accepted sockets close, or the count still open at the deadline', async () => {
  const l = track(await listen({ target: { kind: 'tcp', host: '127.0.0.1', port: 0 }, onConnection: echo }));
  const a = net.connect({ host: '127.0.0.1', port: l.port });
  const b = net.connect({ host: '127.0.0.1', port: l.port });
  await waitFor(() => l.openConnections === 2, 'two open connections');
  const t0 = performance.now();
  assert.equal(await l.drain(150), 2, 'both still open at the deadline');
  assert.ok(performance.now() - t0 >= 140);
  a.end();
  b.end();
  await waitFor(() => l.openConnections === 0, 'both closed');
  assert.equal(await l.drain(5000), 0);
  a.destroy();
  b.destroy();
});

test('unix stream: listens on a path; a socket file left by a kill -9 needs unlinkStale; other files are never removed', async () => {
  const p = path.join(dir, 'ctl.sock');
  const l = track(await listen({ target: { kind: 'unix', path: p }, onConnection: (s) => s.end('unix!') }));
  assert.equal(l.address, p);
  assert.equal((await exchange({ path: p })).data, 'unix!');
  l.stop();
  await waitFor(() => !fs.existsSync(p), 'the socket file removed by close');
  // A stale socket file (its owner was killed with -9): EADDRINUSE, unless unlinkStale.
  const stale = path.join(dir, 'stale.sock');
  const owner = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => owner.stdout!.once('data', r));
  owner.kill('SIGKILL');
  await new Promise((r) => owner.once('exit', r));
  assert.ok(fs.existsSync(stale), 'the killed owner left its socket file');
  await assert.rejects(new Listener({ target: { kind: 'unix', path: stale }, onConnection: echo }).ready, /EADDRINUSE/);
  const again = track(await listen({ target: { kind: 'unix', path: stale, unlinkStale: true }, onConnection: (s) => s.end('fresh') }));
  assert.equal((await exchange({ path: stale })).data, 'fresh');
  again.stop();
  const plain = path.join(dir, 'plain.txt');
  fs.writeFileSync(plain, 'keep me');
  await assert.rejects(new Listener({ target: { kind: 'unix', path: plain, unlinkStale: true }, onConnection: echo }).ready, BindError);
  assert.equal(fs.readFileSync(plain, 'utf8'), 'keep me', 'a file that is not a socket is never removed');
});

test('tls: a handshake then bytes; a plain-text client affects only itself', async () => {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const l = track(
    await listen({
      target: { kind: 'tls', host: '127.0.0.1', port: 0, tls: { key: fs.readFileSync(key), cert: fs.readFileSync(cert) } },
      onConnection: echo,
    }),
  );
  const garbage = await exchange({ host: '127.0.0.1', port: l.port }, 'GET / HTTP/1.0\r\n\r\n');
  assert.notEqual(garbage.data, 'GET / HTTP/1.0\r\n\r\n');
  const reply = await new Promise<string>((resolve, reject) => {
    const c = tls.connect({ host: '127.0.0.1', port: l.port, ca: fs.readFileSync(cert), servername: 'localhost' }, () => c.write('over tls'));
    c.once('data', (b) => {
      c.destroy();
      resolve(b.toString());
    });
    c.on('error', reject);
  });
  assert.equal(reply, 'over tls');
  assert.ok(l.listening);
});

test('reusePort: two listeners share one port and both accept', async () => {
  const hits = [0, 0];
  const a = track(await listen({ target: { kind: 'tcp', host: '127.0.0.1', port: 0, reusePort: true }, onConnection: (s) => (hits[0]++, s.end('a')) }));
  const b = track(await listen({ target: { kind: 'tcp', host: '127.0.0.1', port: a.port, reusePort: true }, onConnection: (s) => (hits[1]++, s.end('b')) }));
  assert.equal(b.port, a.port);
  for (let i = 0; i < 40 && (hits[0] === 0 || hits[1] === 0); i++) await exchange({ host: '127.0.0.1', port: a.port });
  assert.ok(hits[0] > 0 && hits[1] > 0, `both accepted: ${hits}`);
});
