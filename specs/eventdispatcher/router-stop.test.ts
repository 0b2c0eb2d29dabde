// The router's stop over real sockets (eventdispatcher.md §7.4): on STOP or SHUTDOWN, every local
// service that understands DISCONNECTING receives it before the router goes away, the others are
// closed once their output is flushed, and a peer that never closes does not hold the stop up
// past the flush deadline.

import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { ActorSystem } from '../../runtime/index.ts';
import { RouterActor, type RouterInfo } from '../../actors/eventdispatcher/router-actor.ts';
import { lineClient, type LineClient } from './lineclient.ts';
import { waitFor } from './helpers.ts';

const BASE = 'HELP,QUITTING,READY,STOP,UNKNOWN';

async function startRouter(stopFlushMs?: number) {
  const sys = await ActorSystem.start({ threads: 0, logLevel: process.env.LOG_LEVEL ?? 'silent', statsIntervalMs: 0 });
  const router = sys.spawn(RouterActor, { name: 'router', props: { serverName: 'snap', tcp: { host: '127.0.0.1', port: 0 }, udp: null, stopFlushMs } });
  const info = await router.ask<RouterInfo>({ t: 'await-ready' }, { timeoutMs: 10_000 });
  const gone = (): Promise<boolean> => router.ask<RouterInfo>({ t: 'info' }, { timeoutMs: 1000 }).then(() => false, () => true);
  return { sys, router, gone, port: Number(info.tcp!.split(':').pop()) };
}

async function register(port: number, name: string, list: string): Promise<LineClient> {
  const c = await lineClient({ port });
  c.send(`REGISTER service=${name};version=1`);
  await c.waitLine(/READY my_address=/);
  c.send(`snap:communicatord/COMMANDS list=${list}`);
  return c;
}

describe('eventdispatcher router stop', () => {
  it('STOP sends DISCONNECTING to every service that understands it before the router stops', async () => {
    const { sys, router, gone, port } = await startRouter();
    try {
      const listening = await Promise.all(Array.from({ length: 24 }, (_, i) => register(port, `d${i}`, `${BASE},DISCONNECTING`)));
      const others = await Promise.all(Array.from({ length: 6 }, (_, i) => register(port, `o${i}`, BASE)));
      await waitFor(async () => (await router.ask<RouterInfo>({ t: 'info' })).services.filter((s) => s.status === 'up').length === 30, 'all 30 services up');
      // The COMMANDS lists are read in order on each connection: a HELP round trip proves they were.
      for (const c of [...listening, ...others]) c.send('snap:communicatord/HELP');
      await Promise.all([...listening, ...others].map((c) => c.waitLine(/COMMANDS list=/)));
      const stopper = await lineClient({ port });
      stopper.send('communicatord/STOP');
      await waitFor(gone, 'the router to stop');
      await waitFor(() => [...listening, ...others].every((c) => c.closed), 'every connection closed by the router');
      for (const c of listening) assert.ok(c.lines.includes('<snap:communicatord DISCONNECTING'), `DISCONNECTING missing: ${c.lines.join(' | ')}`);
      for (const c of others) assert.ok(!c.lines.some((l) => l.includes('DISCONNECTING')));
      stopper.close();
    } finally {
      await sys.stop();
    }
  });

  it('the shutdown ask answers after the flush; a peer that never closes is cut at the flush deadline', async () => {
    const { sys, router, gone, port } = await startRouter(300);
    try {
      const ok = await register(port, 'ok', `${BASE},DISCONNECTING`);
      // A half-open peer: it reads but never closes its side, so its link cannot finish by itself.
      const stuck = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let stuckData = '';
      stuck.setEncoding('utf8');
      stuck.on('data', (d: string) => (stuckData += d));
      stuck.on('error', () => {});
      await new Promise((r) => stuck.once('connect', r));
      stuck.write(`REGISTER service=stuck;version=1\nsnap:communicatord/COMMANDS list=${BASE},DISCONNECTING\nsnap:communicatord/HELP\n`);
      await waitFor(() => stuckData.includes('COMMANDS list='), 'the stuck peer registered');
      ok.send('snap:communicatord/HELP');
      await ok.waitLine(/COMMANDS list=/);
      const t0 = performance.now();
      assert.equal(await router.ask<boolean>({ t: 'shutdown' }, { timeoutMs: 5000 }), true);
      const took = performance.now() - t0;
      // The answer came only once DISCONNECTING was out to both, and not long after the deadline.
      await waitFor(() => ok.closed, 'the well-behaved service closed');
      assert.ok(ok.lines.includes('<snap:communicatord DISCONNECTING'));
      assert.ok(stuckData.includes('<snap:communicatord DISCONNECTING'));
      assert.ok(took >= 250, `answered after ${took} ms, before the deadline`);
      assert.ok(took < 2500, `answered after ${took} ms`);
      await waitFor(gone, 'the router actor stopped');
      stuck.destroy();
    } finally {
      await sys.stop();
    }
  });
});
