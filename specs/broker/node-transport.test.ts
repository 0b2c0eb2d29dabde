// The broker's FrameTransport over real runtime node links (two ActorSystems on loopback ws):
// frames both ways in order, a new life per dial, garbage bytes close that life only with a
// protocol error, and a lost server node ends the local side with closed(reason).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem } from '../../runtime/index.ts';
import type { BrokerFrame } from '../../protocols/broker/index.ts';
import { BROKER_LINK_ACTOR, LinkEndpoint, LocalLinkHub, NodeTransport, ServerLinkHub, type LinkMsg } from '../../actors/broker/link/node-transport.ts';

process.env.ACTOR_RUNTIME_NODE_SECRET ??= 'node-transport-test-secret';
const systems: ActorSystem[] = [];
after(async () => {
  for (const s of systems) await s.stop().catch(() => {});
});

async function waitFor<T>(f: () => T | undefined | false, what: string, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('broker frames over node links: both ways, lives, garbage, node-down', async () => {
  const server = await ActorSystem.start({ name: 'nt-server', threads: 0, statsIntervalMs: 0, logLevel: 'warn', node: { name: 'bsrv', listen: 'ws://127.0.0.1:0', heartbeatMs: 100 } });
  systems.push(server);
  const accepted: { lb: string; t: NodeTransport; got: BrokerFrame[]; closed: string | null }[] = [];
  const shub = new ServerLinkHub(1024 * 1024, (lb, bind) => {
    const rec = { lb, t: null as unknown as NodeTransport, got: [] as BrokerFrame[], closed: null as string | null };
    rec.t = bind({ frame: (f) => { rec.got.push(f); if (f.type === 'publish') rec.t.send({ type: 'reply', rid: f.rid, status: 0, description: 'ok' }); }, closed: (r) => (rec.closed = r) });
    accepted.push(rec);
  });
  server.spawn(LinkEndpoint, { name: BROKER_LINK_ACTOR, props: { hub: shub }, thread: 'main' });

  const local = await ActorSystem.start({ name: 'nt-local', threads: 0, statsIntervalMs: 0, logLevel: 'warn', node: { name: 'lb1', peers: [{ name: 'bsrv', url: server.node!.url! }], heartbeatMs: 100, reconnect: '0.05' } });
  systems.push(local);
  await local.node!.connected('bsrv');
  const lhub = new LocalLinkHub(local.node!.ref<LinkMsg>(`bsrv:/${BROKER_LINK_ACTOR}`), 1024 * 1024);
  local.spawn(LinkEndpoint, { name: BROKER_LINK_ACTOR, props: { hub: lhub }, thread: 'main' });
  await waitFor(() => lhub.self, 'the local endpoint');

  const got: BrokerFrame[] = [];
  let closed: string | null = null;
  const t1 = lhub.dial('lb-one', { frame: (f) => got.push(f), closed: (r) => (closed = r) });
  t1.send({ type: 'hello', version: 1, lbId: 'lb-one' });
  for (let rid = 1; rid <= 300; rid++) t1.send({ type: 'publish', rid, id: 1, topic: 't', msg: `m${rid}` });
  const a = await waitFor(() => accepted[0]?.got.length === 301 && accepted[0], 'all frames at the server');
  assert.equal(a.lb, 'lb-one');
  assert.equal(a.got[0].type, 'hello');
  assert.deepEqual(a.got.slice(1).map((f) => (f as { rid: number }).rid), Array.from({ length: 300 }, (_, i) => i + 1));
  await waitFor(() => got.length === 300, 'all replies at the local side');
  assert.deepEqual(got.map((f) => (f as { rid: number }).rid), Array.from({ length: 300 }, (_, i) => i + 1));

  // a new life replaces the old one on the local side; the server sees a second link
  let closed2: string | null = null;
  const t2 = lhub.dial('lb-one', { frame: () => {}, closed: (r) => (closed2 = r) });
  assert.match(String(closed), /replaced/);
  t2.send({ type: 'hello', version: 1, lbId: 'lb-one' });
  await waitFor(() => accepted.length === 2 && accepted[1].got.length === 1, 'the second life at the server');

  // garbage bytes on a life: protocol error answered, that life closed, the other untouched
  local.node!.ref<LinkMsg>(`bsrv:/${BROKER_LINK_ACTOR}`).tell({ type: 'frames', life: t2.life, from: lhub.self!, bytes: new Uint8Array([0, 0, 0, 3, 0xff, 0xff, 0xff]) });
  await waitFor(() => accepted[1].closed, 'the garbage life closed');
  assert.match(String(accepted[1].closed), /protocol error/);
  await waitFor(() => closed2, 'the local side of the garbage life closed');

  // the server node goes away: a fresh life on the local side ends with node-down
  let closed3: string | null = null;
  const t3 = lhub.dial('lb-one', { frame: () => {}, closed: (r) => (closed3 = r) });
  t3.send({ type: 'hello', version: 1, lbId: 'lb-one' });
  await waitFor(() => accepted.length === 3, 'the third life at the server');
  await server.stop();
  await waitFor(() => closed3, 'closed after the server node is lost', 15_000);
  assert.match(String(closed3), /broker server node lost/);
});

test('property: any sequence of frames on a fresh link life arrives whole and in order', async () => {
  const fc = (await import('fast-check')).default;
  const server = await ActorSystem.start({ name: 'nt-prop-server', threads: 0, statsIntervalMs: 0, logLevel: 'warn', node: { name: 'psrv', listen: 'ws://127.0.0.1:0', heartbeatMs: 100 } });
  systems.push(server);
  const lives: BrokerFrame[][] = [];
  const shub = new ServerLinkHub(1024 * 1024, (_lb, bind) => {
    const got: BrokerFrame[] = [];
    lives.push(got);
    bind({ frame: (f) => got.push(f), closed: () => {} });
  });
  server.spawn(LinkEndpoint, { name: BROKER_LINK_ACTOR, props: { hub: shub }, thread: 'main' });
  const local = await ActorSystem.start({ name: 'nt-prop-local', threads: 0, statsIntervalMs: 0, logLevel: 'warn', node: { name: 'plb', peers: [{ name: 'psrv', url: server.node!.url! }], heartbeatMs: 100 } });
  systems.push(local);
  await local.node!.connected('psrv');
  const lhub = new LocalLinkHub(local.node!.ref<LinkMsg>(`psrv:/${BROKER_LINK_ACTOR}`), 1024 * 1024);
  local.spawn(LinkEndpoint, { name: BROKER_LINK_ACTOR, props: { hub: lhub }, thread: 'main' });
  await waitFor(() => lhub.self, 'the local endpoint');
  const frame = fc.oneof(
    fc.record({ type: fc.constant('publish' as const), rid: fc.integer({ min: 1, max: 2 ** 31 - 1 }), id: fc.integer({ min: 1, max: 1000 }), topic: fc.stringMatching(/^[a-z]{1,20}$/), msg: fc.string({ maxLength: 3000 }) }),
    fc.record({ type: fc.constant('ack' as const), id: fc.integer({ min: 1, max: 1000 }), seq: fc.integer({ min: 0, max: 2 ** 31 }) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(frame, { maxLength: 200 }), async (frames) => {
      const before = lives.length;
      const t = lhub.dial('prop', { frame: () => {}, closed: () => {} });
      t.send({ type: 'hello', version: 1, lbId: 'prop' });
      for (const f of frames) t.send(f);
      const got = await waitFor(() => lives.length > before && lives[before].length === frames.length + 1 && lives[before], 'the life at the server');
      assert.deepEqual(got.slice(1), frames.map((f) => ({ ...f })));
    }),
    { numRuns: 25 },
  );
});
