// The broker link's node configuration (broker.md §5.2, §11): `broker server|local` with a secret
// file and wss:// (real processes, the nodes' TLS fixtures), a local broker with the wrong secret
// refused, and a topology with a `nodes:` section whose node carries the broker link (two
// systems in this process, a real client on the Unix socket).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BrokerClient } from '../../actors/broker/client.ts';
import { startBrokerSection } from '../../actors/broker/section.ts';
import { ActorSystem, type Logger } from '../../runtime/index.ts';
import type { RunEnv, SectionHandle } from '../../runtime/kernel/subsystem.ts';
import { cli, run, tmp, waitFor, type Proc } from './helpers.ts';

const TLS = new URL('../nodes/fixtures/tls/', import.meta.url).pathname;
const procs: Proc[] = [];
const systems: ActorSystem[] = [];
const sections: SectionHandle[] = [];
after(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  for (const s of sections) await s.beforeStop?.().catch(() => {});
  for (const s of systems) await s.stop().catch(() => {});
});

function start(args: string[]): Proc {
  // no secret in the environment: only the secret files given on the command line count
  const p = cli(args, { ACTOR_RUNTIME_NODE_SECRET: '', ACTOR_RUNTIME_SECRET: '' });
  procs.push(p);
  return p;
}

describe('broker link configuration', () => {
  it('wss:// with a secret file links; a local broker with another secret is refused', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'good.secret'), 'the-broker-link-secret-0123456789\n');
    writeFileSync(join(dir, 'bad.secret'), 'some-other-secret-0123456789abcdef\n');
    const server = start([
      'broker', 'server', '--listen', 'wss://127.0.0.1:0', '--data', join(dir, 'srv'), '--durability', 'off',
      '--secret-file', join(dir, 'good.secret'), '--tls-cert', `${TLS}node.pem`, '--tls-key', `${TLS}node-key.pem`, '--node-name', 'central',
    ]);
    const listening = await waitFor(() => server.lines.find((l) => l.includes('broker server listening')), 'the server');
    const url = JSON.parse(listening).url as string;
    assert.match(url, /^wss:\/\/127\.0\.0\.1:\d+$/);

    const good = start([
      'broker', 'local', '--server', url, '--server-node', 'central', '--data', join(dir, 'lb-good'),
      '--secret-file', join(dir, 'good.secret'), '--tls-ca', `${TLS}ca.pem`,
    ]);
    await waitFor(() => good.lines.some((l) => l.includes('server link open')), 'the local broker with the right secret');
    const env = { BROKER_LOCAL_SOCKET: join(dir, 'lb-good', 'lb.sock') };
    assert.deepEqual(await run(['broker', 'create'], env), { code: 0, out: '1\n', err: '' });
    assert.equal((await run(['broker', 'subscribe', '1', 'over-wss'], env)).out, 'ok\n');
    assert.equal((await run(['broker', 'publish', '1', 'hello', 'over-wss'], env)).out, '1\n');
    assert.equal((await run(['broker', 'recv', '1'], env)).out, 'over-wss hello\n');

    const bad = start([
      'broker', 'local', '--server', url, '--server-node', 'central', '--data', join(dir, 'lb-bad'), '--request-timeout', '1500',
      '--secret-file', join(dir, 'bad.secret'), '--tls-ca', `${TLS}ca.pem`,
    ]);
    const refusal = await waitFor(() => server.lines.find((l) => l.includes('peer refused')), 'the server refusing the wrong secret');
    assert.match(refusal, /wrong secret/);
    await waitFor(() => bad.lines.some((l) => l.includes('local broker listening')), 'the local broker with the wrong secret');
    const refused = await run(['broker', 'create'], { BROKER_LOCAL_SOCKET: join(dir, 'lb-bad', 'lb.sock') });
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^error -6 UNAVAILABLE/);
    assert.ok(!bad.lines.some((l) => l.includes('server link open')), 'the wrong secret never links');
  });

  it('a local broker without the CA refuses the wss server (TLS is checked, not skipped)', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'link.secret'), 'the-broker-link-secret-0123456789\n');
    const server = start([
      'broker', 'server', '--listen', 'wss://127.0.0.1:0', '--data', join(dir, 'srv'), '--durability', 'off',
      '--secret-file', join(dir, 'link.secret'), '--tls-cert', `${TLS}node.pem`, '--tls-key', `${TLS}node-key.pem`,
    ]);
    const url = JSON.parse(await waitFor(() => server.lines.find((l) => l.includes('broker server listening')), 'the server')).url as string;
    const lb = start(['broker', 'local', '--server', url, '--data', join(dir, 'lb'), '--secret-file', join(dir, 'link.secret'), '--tls-ca', `${TLS}rogue.pem`]);
    await waitFor(() => lb.lines.some((l) => l.includes('server link down')), 'the link failing on the certificate');
    assert.ok(!lb.lines.some((l) => l.includes('server link open')));
  });

  it('a missing secret or certificate file stops the node with one line and exit 1', async () => {
    const dir = tmp();
    for (const extra of [['--secret-file', join(dir, 'none.secret')], ['--listen', 'wss://127.0.0.1:0', '--tls-cert', join(dir, 'none.pem'), '--tls-key', join(dir, 'none-key.pem')]]) {
      const r = await run(['broker', 'server', '--listen', '127.0.0.1:0', '--data', join(dir, 'srv'), '--durability', 'off', ...extra]);
      assert.equal(r.code, 1, r.err);
      const errors = r.err.split('\n').filter((l) => l.startsWith('error: '));
      assert.equal(errors.length, 1, r.err);
      assert.match(errors[0], /^error: broker link node broker-server: .*(none\.secret|none\.pem)/);
      assert.ok(!/\n\s+at /.test(r.err), 'no stack trace');
    }
  });

  it("a topology's nodes: section carries the link (node names and the peer from it)", async () => {
    const dir = tmp();
    process.env.BROKER_LINK_TEST_SECRET = 'topology-node-secret-0123456789';
    const env = (): RunEnv => ({ file: join(dir, 't.yaml'), dir, log: null as unknown as Logger, stop: () => {}, fail: () => {} });
    const srv = await ActorSystem.start({ name: 'bt-srv', threads: 0, statsIntervalMs: 0, logLevel: 'warn', node: { name: 'hub', listen: 'ws://127.0.0.1:0', secretEnv: 'BROKER_LINK_TEST_SECRET', keepWatchesMs: 0 } });
    systems.push(srv);
    // the section reads the topology file: without keepWatchesMs: 0 the node would hide short drops
    writeFileSync(join(dir, 't.yaml'), 'nodes: { name: hub }\n');
    await assert.rejects(startBrokerSection(srv, { server: { dataDir: 'srv', durability: 'off' }, local: [] }, env()), /nodes\.keepWatchesMs: .*set keepWatchesMs: 0/);
    writeFileSync(join(dir, 't.yaml'), 'nodes: { name: hub, keepWatchesMs: 0 }\n');
    sections.push(await startBrokerSection(srv, { server: { dataDir: 'srv', durability: 'off' }, local: [] }, env()));
    const lbs = await ActorSystem.start({ name: 'bt-lb', threads: 0, statsIntervalMs: 0, logLevel: 'warn', node: { name: 'edge-1', peers: [{ name: 'hub', url: srv.node!.url! }], secretEnv: 'BROKER_LINK_TEST_SECRET', reconnect: '0.1', keepWatchesMs: 0 } });
    systems.push(lbs);
    const h = await startBrokerSection(lbs, { local: [{ dataDir: 'lb', serverNode: 'hub' }] }, env());
    sections.push(h);
    assert.ok(h.describe!().some((l) => l.includes('(node hub)')), h.describe!().join('\n'));

    const c = await BrokerClient.connect({ socket: join(dir, 'lb', 'lb.sock') });
    const me = await waitForValue(() => c.create());
    assert.equal(await c.subscribe(me, 'news'), true);
    assert.equal(await c.publish(me, 'via the topology node', 'news'), 1);
    assert.deepEqual(await c.recv(me, { timeoutMs: 5000 }), { topic: 'news', msg: 'via the topology node', seq: 1 });
    c.close();
    // the link is the topology's own node link (edge-1 -> hub), not a second node
    assert.deepEqual(lbs.node!.describe().peers.map((p) => [p.name, p.state]), [['hub', 'up']]);

    await assert.rejects(
      startBrokerSection(srv, { server: { listen: '127.0.0.1:7999', dataDir: 'srv2' }, local: [] }, env()),
      /broker\.server\.listen: this topology has a nodes: section/,
    );
  });
});

/** Retries while the link comes up (-6 UNAVAILABLE until the local broker has linked). */
async function waitForValue<T>(f: () => Promise<T>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() > end || (e as { code?: number }).code !== -6) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
