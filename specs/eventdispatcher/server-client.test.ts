// Message servers and clients over real TCP, TLS and Unix sockets (eventdispatcher.md §3.1, §4).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { ActorSystem } from '../../runtime/index.ts';
import { MessageServer } from '../../actors/eventdispatcher/server.ts';
import { MessageClient, sendAndAwaitReply, type MessageClientMsg } from '../../actors/eventdispatcher/client.ts';
import { waitFor } from './helpers.ts';

const HANDLER = { module: new URL('./fixtures/hi-handler.ts', import.meta.url).href, export: 'setup' };

describe('eventdispatcher servers and clients', () => {
  let sys: ActorSystem;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ed-sc-'));
    sys = await ActorSystem.start({ threads: 1, logLevel: process.env.LOG_LEVEL ?? 'silent', statsIntervalMs: 0 });
  });
  after(async () => {
    await sys.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('TLS: a server with a handler module; the blocking client gets HELLO and the COMMANDS list', async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }] });
    const server = sys.spawn(MessageServer, {
      name: 'tls-server',
      thread: 0,
      props: { target: { kind: 'tls', host: '127.0.0.1', port: 0, tls: { key: pems.private, cert: pems.cert } }, handler: HANDLER, handlerProps: { text: 'over tls' } },
    });
    const port = Number((await server.ask<string>({ t: 'await-ready' })).split(':').pop());
    const target = { kind: 'tls' as const, host: '127.0.0.1', port, ca: pems.cert, servername: 'localhost' };
    const r = await sendAndAwaitReply(target, Message.parse('<me:test HI'));
    assert.equal(r.toMessage(), 'me:test/HELLO text=over tls');
    const help = await sendAndAwaitReply(target, Message.parse('<me:test HELP'));
    assert.equal(help.getParameter('list'), 'ALIVE,HELP,HI,INVALID,LEAK,LOG_ROTATE,QUITTING,READY,RESTART,SERVICE_UNAVAILABLE,STOP,UNKNOWN');
    // actor-runtime signal --type tcp --encrypt true, trusting the test certificate.
    const { spawn } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'ca.pem'), pems.cert);
    const root = new URL('../..', import.meta.url).pathname;
    const child = spawn(join(root, 'node_modules/.bin/node'), [join(root, 'bin/actor-runtime.ts'), 'signal', '-t', 'tcp', '-e', 'true', '-r', '-H', `localhost:${port}`, 'HI'], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'), EVENTDISPATCHER_CONFIG_DIR: dir },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    assert.equal(await new Promise((r) => child.on('close', r)), 0);
    assert.match(out, /\/HELLO text=over tls\n$/);
    // An untrusted certificate is refused by a verifying client.
    await assert.rejects(sendAndAwaitReply({ kind: 'tls', host: '127.0.0.1', port }, Message.parse('HI')));
    await sys.stopActor(server);
  });

  it('a line of 1 MiB with no newline closes that connection only (the default limit); others go on', async () => {
    const server = sys.spawn(MessageServer, { name: 'limit-server', props: { target: { kind: 'tcp', host: '127.0.0.1', port: 0 } } });
    const port = Number((await server.ask<string>({ t: 'await-ready' })).split(':').pop());
    const big = net.connect(port, '127.0.0.1');
    big.on('error', () => {});
    const closed = new Promise((r) => big.on('close', r));
    big.write(Buffer.alloc(1024 * 1024 + 1, 0x41));
    await closed;
    const r = await sendAndAwaitReply({ kind: 'tcp', host: '127.0.0.1', port }, Message.parse('<me:test ALIVE serial=1'));
    assert.equal(r.command, 'ABSOLUTELY');
    await sys.stopActor(server);
  });

  it('Unix stream: the server answers ALIVE with ABSOLUTELY; a permanent client reconnects after the server restarts', async () => {
    const path = join(dir, 'server.sock');
    const server = sys.spawn(MessageServer, { name: 'unix-server', props: { target: { kind: 'unix', path } } });
    await server.ask({ t: 'await-ready' });
    const r = await sendAndAwaitReply({ kind: 'unix', path }, Message.parse('<me:test ALIVE serial=9'));
    assert.equal(r.command, 'ABSOLUTELY');
    assert.equal(r.getParameter('serial'), '9');
    // A permanent client over the same socket: connects, and comes back after the server restarts.
    const client = sys.spawn(MessageClient, { name: 'unix-perm', props: { target: { kind: 'unix', path }, pauses: '1' } });
    await waitFor(async () => (await client.ask<{ connected: boolean }>({ t: 'info' })).connected, 'the unix client to connect');
    await sys.stopActor(server);
    await waitFor(async () => !(await client.ask<{ connected: boolean }>({ t: 'info' })).connected, 'the drop');
    const again = sys.spawn(MessageServer, { name: 'unix-server-2', props: { target: { kind: 'unix', path } } });
    await again.ask({ t: 'await-ready' });
    await waitFor(async () => (await client.ask<{ connected: boolean }>({ t: 'info' })).connected, 'the reconnect over unix', 10_000);
    await sys.stopActor(client);
    await sys.stopActor(again);
  });

  it('a permanent client caches while its peer is away, delivers on connect, and reconnects when the peer dies and returns', async () => {
    const port = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const client = sys.spawn(MessageClient, { name: 'perm', props: { target: { kind: 'tcp', host: '127.0.0.1', port }, pauses: '1' } });
    assert.equal(await client.ask<boolean>({ t: 'send', line: 'CACHED n=1', cache: true } satisfies MessageClientMsg), false);
    assert.equal(await client.ask<boolean>({ t: 'send', line: 'LOST n=2' } satisfies MessageClientMsg), false);
    const lines: string[] = [];
    const sockets = new Set<net.Socket>();
    const start = (): Promise<net.Server> =>
      new Promise((r) => {
        const srv = net.createServer((s) => {
          sockets.add(s);
          s.setEncoding('utf8');
          s.on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
          s.on('error', () => {});
          s.on('close', () => sockets.delete(s));
        });
        srv.listen(port, '127.0.0.1', () => r(srv));
      });
    let srv = await start();
    await waitFor(() => lines.includes('CACHED n=1'), 'the cached message');
    assert.ok(!lines.includes('LOST n=2'));
    // The peer dies (connections reset) and comes back.
    await new Promise<void>((r) => {
      srv.close(() => r());
      for (const s of sockets) s.destroy();
    });
    await waitFor(async () => !(await client.ask<{ connected: boolean }>({ t: 'info' })).connected, 'the drop to be seen');
    srv = await start();
    await waitFor(async () => (await client.ask<{ connected: boolean }>({ t: 'info' })).connected, 'the reconnect', 10_000);
    assert.equal(await client.ask<boolean>({ t: 'send', line: 'AFTER n=3' } satisfies MessageClientMsg), true);
    await waitFor(() => lines.includes('AFTER n=3'), 'the message after reconnecting');
    await sys.stopActor(client);
    await new Promise<void>((r) => {
      srv.close(() => r());
      for (const s of sockets) s.destroy();
    });
  });
});
