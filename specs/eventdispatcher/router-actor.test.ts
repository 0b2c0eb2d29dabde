// The router and a service over real sockets (eventdispatcher.md §7, §8 "Routing"; faults).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActorSystem, type ActorRef } from '../../runtime/index.ts';
import { RouterActor, type RouterInfo, type RouterMsg } from '../../actors/eventdispatcher/router-actor.ts';
import { ExampleService } from '../../actors/eventdispatcher/example-service.ts';
import { lineClient, sendDatagram } from './lineclient.ts';
import { waitFor } from './helpers.ts';

const LIST = 'HELP,PING,QUITTING,READY,STATUS,STOP,UNKNOWN';

describe('eventdispatcher router over real sockets', () => {
  let sys: ActorSystem;
  let dir: string;
  let router: ActorRef<RouterMsg>;
  let info: RouterInfo;
  let port: number;
  let udp: number;
  const status = (): Promise<RouterInfo> => router.ask<RouterInfo>({ t: 'info' });
  const up = async (name: string): Promise<boolean> => (await status()).services.some((s) => s.name === name && s.status === 'up');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ed-router-'));
    sys = await ActorSystem.start({ threads: 0, logLevel: process.env.LOG_LEVEL ?? 'silent', statsIntervalMs: 0 });
    // A socket path left behind by a killed process is replaced at start.
    const stale = join(dir, 'communicatord.sock');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(existsSync(stale));
    router = sys.spawn(RouterActor, {
      name: 'router',
      props: { serverName: 'snap', tcp: { host: '127.0.0.1', port: 0 }, udp: { host: '127.0.0.1', port: 0 }, unix: { path: stale }, knownServices: ['example'], maxLine: 64 * 1024 },
    });
    info = await router.ask<RouterInfo>({ t: 'await-ready' }, { timeoutMs: 10_000 });
    port = Number(info.tcp!.split(':').pop());
    udp = Number(info.udp!.split(':').pop());
  });

  after(async () => {
    await sys.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a message for a known service is cached until it registers; then HELP, READY, cached; HELLO is answered', async () => {
    const tester = await lineClient({ port });
    tester.send('REGISTER service=tester;version=1');
    await tester.waitLine(/READY my_address=127\.0\.0\.1:\d+/);
    tester.send(`snap:communicatord/COMMANDS list=${LIST}`);
    tester.send('example/HELLO n=1');
    await waitFor(async () => (await status()).cached === 1, 'the HELLO to be cached');
    sys.spawn(ExampleService, { name: 'example', props: { service: 'example', router: `cd://127.0.0.1:${port}`, props: {} } });
    // The cached HELLO reaches the example once it registered, and its HI comes back to us.
    await tester.waitLine(/^<snap:example snap:tester\/HI greeting=hello from example$/);
    assert.ok(await up('example'));
    tester.send('example/HELLO n=2');
    await waitFor(() => tester.lines.filter((l) => l.includes('/HI ')).length === 2, 'a second HI');
    tester.send('snap:communicatord/UNREGISTER service=tester');
    await waitFor(() => tester.closed, 'the router to close after UNREGISTER');
  });

  it('UDP: direct and broadcast messages reach local services; REGISTER over UDP is refused', async () => {
    const c = await lineClient({ path: join(dir, 'communicatord.sock') });
    // Bad input on the Unix stream endpoint first: logged, no reply, the connection goes on.
    c.send(':svc/CMD');
    c.socket.write(Buffer.from([0xfe, 0x0a]));
    c.send('REGISTER service=udptest;version=1');
    await c.waitLine(/READY/);
    c.send(`snap:communicatord/COMMANDS list=${LIST}`);
    await waitFor(async () => up('udptest'), 'udptest up');
    await sendDatagram(udp, '<host:ed_signal udptest/PING a=1');
    await c.waitLine(/^<host:ed_signal udptest\/PING a=1$/);
    await sendDatagram(udp, '*/PING b=2');
    await c.waitLine(/^\*\/PING b=2$/);
    await sendDatagram(udp, 'REGISTER service=evil;version=1');
    // Bad datagrams: garbage, invalid UTF-8, oversize; the next good one is still dispatched.
    await sendDatagram(udp, 'not a message;;');
    await sendDatagram(udp, Buffer.from([0xff, 0xfe, 0x41]));
    await sendDatagram(udp, `udptest/PING big=${'x'.repeat(2000)}`);
    await sendDatagram(udp, 'udptest/PING c=3');
    await c.waitLine(/^udptest\/PING c=3$/);
    assert.ok(!(await status()).services.some((s) => s.name === 'evil'));
    assert.ok(!c.lines.some((l) => l.includes('big=')));
    c.close();
  });

  it('bad input on a stream affects that connection only; the next good line is dispatched', async () => {
    const bad = await lineClient({ port });
    const good = await lineClient({ port });
    bad.send('<a:b');
    bad.socket.write(Buffer.from([0xc3, 0x28, 0x0a]));
    bad.send('\r');
    bad.send('<me:x HELP');
    await bad.waitLine(/^<snap:communicatord me:x\/COMMANDS list=/);
    assert.equal(bad.lines.length, 1, 'malformed lines get no reply');
    // A line over the limit (64 KiB here, 1 MiB by default) with no newline closes that connection only.
    bad.socket.write(Buffer.alloc(100 * 1024, 0x41));
    await waitFor(() => bad.closed, 'the oversize connection to close');
    good.send('<me:y HELP');
    await good.waitLine(/^<snap:communicatord me:y\/COMMANDS list=/);
    good.close();
  });

  it('a service that crashes mid-message is restarted; the router marks it down and up again', async () => {
    const watcher = await lineClient({ port });
    watcher.send('REGISTER service=watcher;version=1');
    await watcher.waitLine(/READY/);
    watcher.send(`snap:communicatord/COMMANDS list=${LIST}`);
    await waitFor(async () => up('watcher'), 'watcher up');
    const from = watcher.lines.length;
    watcher.send('example/CRASH');
    await watcher.waitLine(/STATUS .*service=example;status=down/, from);
    await watcher.waitLine(/STATUS .*service=example;status=up/, from, 15_000);
    watcher.close();
  });

  it('a permanent connection whose peer dies comes back when a router listens again', async () => {
    await sys.stopActor(router);
    await new Promise((r) => setTimeout(r, 0));
    router = sys.spawn(RouterActor, { name: 'router2', props: { serverName: 'snap', tcp: { host: '127.0.0.1', port } } });
    await router.ask({ t: 'await-ready' });
    await waitFor(async () => up('example'), 'the example service to register with the new router', 20_000);
  });
});
