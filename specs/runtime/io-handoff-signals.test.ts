// runtime/io: handing a socket to an actor on the same thread (kernel-owned: an untaken handle is
// destroyed), one owner of process signals delivering them to actors as messages (real signals
// sent to this process; worker threads get none), and UDP datagram endpoints. The test signal is
// SIGWINCH: harmless when nobody listens, and not the test runner's diagnostic-report signal.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { defineActor } from '../../runtime/index.ts';
import {
  BindError,
  deliverSignals,
  giveHandle,
  listen,
  onSignal,
  openDatagram,
  parkedHandles,
  subscribedSignals,
  takeHandle,
  type DatagramAddress,
} from '../../runtime/io/index.ts';
import { systemsForFile, waitFor } from './helpers.ts';

const start = systemsForFile(after);

type SockMsg = { t: 'socket'; token: string } | { t: 'signal'; sig: string } | { t: 'seen' };

/** Takes a handed-over socket and greets it; remembers signals it was told about. */
export const Greeter = defineActor<SockMsg, void>(import.meta.url, 'Greeter', (_p, ctx) => {
  const signals: string[] = [];
  let off = (): void => {};
  return {
    started() {
      off = deliverSignals(ctx.self, ['SIGWINCH'], (sig) => ({ t: 'signal' as const, sig }));
    },
    receive(msg) {
      if (msg.t === 'socket') takeHandle<net.Socket>(msg.token)?.end(`hello from ${ctx.path}`);
      else if (msg.t === 'signal') signals.push(msg.sig);
      else ctx.reply(signals);
    },
    stopped() {
      off();
    },
  };
});

test('a socket handed to an actor on the same thread by token', async () => {
  const sys = await start(0);
  const g = sys.spawn(Greeter, { name: 'greeter', props: undefined });
  const l = await listen({ target: { kind: 'tcp', host: '127.0.0.1', port: 0 }, onConnection: (s) => g.tell({ t: 'socket', token: giveHandle(s) }) });
  after(() => l.stop());
  const got = await new Promise<string>((resolve) => {
    let data = '';
    const c = net.connect({ host: '127.0.0.1', port: l.port });
    c.on('data', (b) => (data += b));
    c.on('end', () => resolve(data));
  });
  assert.equal(got, 'hello from /greeter');
  assert.equal(parkedHandles(), 0);
  await sys.stop(2000);
});

test('a handle nobody takes is destroyed after its time to live; a taken token is spent', async () => {
  const [a, b] = await new Promise<[net.Socket, net.Socket]>((resolve) => {
    const srv = net.createServer((s) => {
      srv.close();
      resolve([s, c]);
    });
    let c!: net.Socket;
    srv.listen(0, '127.0.0.1', () => (c = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1')));
  });
  const token = giveHandle(a, 50);
  assert.equal(parkedHandles(), 1);
  await waitFor(() => a.destroyed, 'the untaken socket destroyed');
  assert.equal(takeHandle(token), undefined);
  assert.equal(parkedHandles(), 0);
  const t2 = giveHandle(b);
  assert.equal(takeHandle(t2), b);
  assert.equal(takeHandle(t2), undefined, 'a token is taken once');
  b.destroy();
  assert.throws(() => takeHandle('999999:1'), /given on thread 999999 and cannot be taken on thread 0: handles do not cross threads/);
});

test('signals: one process listener, delivered as messages to each subscribed actor; gone when they stop', async () => {
  const sys = await start(0);
  const before = process.listenerCount('SIGWINCH');
  const a = sys.spawn(Greeter, { name: 'a', props: undefined });
  const b = sys.spawn(Greeter, { name: 'b', props: undefined });
  await waitFor(() => subscribedSignals().includes('SIGWINCH'), 'subscribed');
  assert.equal(process.listenerCount('SIGWINCH'), before + 1, 'one listener for two actors');
  process.kill(process.pid, 'SIGWINCH');
  await waitFor(async () => (await a.ask<string[]>({ t: 'seen' })).length === 1 && (await b.ask<string[]>({ t: 'seen' })).length === 1, 'both told');
  assert.deepEqual(await a.ask({ t: 'seen' }), ['SIGWINCH']);
  await a.ask({ t: 'seen' });
  const calls: string[] = [];
  const off = onSignal('SIGWINCH', (s) => calls.push(s));
  process.kill(process.pid, 'SIGWINCH');
  await waitFor(() => calls.length === 1, 'kernel subscriber called');
  off();
  await sys.stop(2000);
  assert.equal(process.listenerCount('SIGWINCH'), before, 'the listener is removed with the last subscriber');
});

test('signals: a worker thread gets none (subscribing there installs nothing)', async () => {
  const src = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(new URL('../../runtime/io/signals.ts', import.meta.url).href)}).then((m) => {
      const off = m.onSignal('SIGWINCH', () => parentPort.postMessage('got'));
      parentPort.postMessage({ here: m.signalsHere, listeners: process.listenerCount('SIGWINCH'), subscribed: m.subscribedSignals() });
      off();
    });`;
  const w = new Worker(src, { eval: true });
  const first = await new Promise<unknown>((r) => w.once('message', r));
  await w.terminate();
  assert.deepEqual(first, { here: false, listeners: 0, subscribed: [] });
});

test('udp: bind, receive with the sender address, send back; bind-failed is a BindError', async () => {
  const seen: { data: string; from: DatagramAddress }[] = [];
  const ep = await openDatagram({ kind: 'udp', host: '127.0.0.1', port: 0 }, {
    message(data, from) {
      seen.push({ data: data.toString(), from });
      void ep.send(Buffer.from(`re:${data}`), from);
    },
  });
  assert.equal(ep.address.kind, 'udp');
  const port = ep.address.kind === 'udp' ? ep.address.port : 0;
  assert.ok(port > 0);
  const peer = dgram.createSocket('udp4');
  await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
  const reply = new Promise<string>((r) => peer.once('message', (m) => r(m.toString())));
  peer.send('ping', port, '127.0.0.1');
  assert.equal(await reply, 're:ping');
  assert.equal(seen[0].from.kind === 'udp' && seen[0].from.port, peer.address().port);
  await assert.rejects(openDatagram({ kind: 'udp', host: '127.0.0.1', port }, { message() {} }), (err: unknown) => err instanceof BindError && err.code === 'EADDRINUSE' && err.message.startsWith(`cannot listen on 127.0.0.1:${port}: `));
  await assert.rejects(openDatagram({ kind: 'unix', path: '/tmp/x' }, { message() {} }), /datagram endpoints of kind unix are not available/);
  peer.close();
  await ep.close();
  await assert.rejects(ep.send(Buffer.from('late'), { kind: 'udp', host: '127.0.0.1', port }), /closed/);
});
