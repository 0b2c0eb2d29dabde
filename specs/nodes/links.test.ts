// Three runtime nodes on loopback (this process and two child processes): tell, ask and watch
// across them with node-qualified refs, refs travelling inside messages, dead letters on the far
// side, kill -9 of a node (watchers hear node-down, pending asks reject) and its restart.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem, type ActorRef } from '../../runtime/index.ts';
import { Echo, Recorder, Blaster, type EchoMsg, type RecMsg } from '../runtime/fixtures/actors.ts';
import { Watcher, Relay, Inbox, type WatcherMsg, type RelayMsg } from './fixtures/actors.ts';
import { startNodeProcess, startLocalNode, linked, waitFor, rejectionCode, type NodeProcess } from './helpers.ts';

let b: NodeProcess;
let c: NodeProcess;
let a: ActorSystem;
after(async () => {
  await a?.stop();
  await b?.stop();
  await c?.stop();
});

test('three nodes: tell, ask, watch and refs across them; kill -9 and restart of one', async () => {
  b = await startNodeProcess({
    name: 'b',
    threads: 1,
    actors: [
      { name: 'echo', kind: 'Echo', thread: 0 },
      { name: 'relay', kind: 'Relay', thread: 'main' },
      { name: 'relay2', kind: 'Relay', thread: 0 },
      { name: 'rec', kind: 'Recorder', thread: 0 },
    ],
  });
  c = await startNodeProcess({ name: 'c', peers: [{ name: 'b', url: b.url }], actors: [{ name: 'inbox', kind: 'Inbox' }, { name: 'echo', kind: 'Echo' }] });
  const cUrl = c.url;
  a = await startLocalNode('a', [
    { name: 'b', url: b.url },
    { name: 'c', url: c.url },
  ]);
  await linked(a, 'b');
  await linked(a, 'c');
  const node = a.node!;
  await waitFor(async () => (await node.peerSnapshot('b')).node?.peers.some((p) => p.name === 'c' && p.state === 'up'), 'c linked to b');

  // ask and tell, to actors on the far node's main thread and on its worker thread
  const echo = node.ref<EchoMsg>('b:/echo');
  assert.equal(echo.path, 'b:/echo');
  assert.deepEqual(await echo.ask({ type: 'echo', value: { x: 1, list: [1, 2], m: new Map([[1, 'one']]) } }), { x: 1, list: [1, 2], m: new Map([[1, 'one']]) });
  assert.equal(echo.tell({ type: 'echo', value: 1 }), true);
  assert.equal(await echo.ask({ type: 'count' }), 3);

  // an actor on a worker thread of this node asks through a relay on the far node to a third node
  const relay = a.spawn(Relay, { name: 'relay', props: undefined, thread: 0 });
  assert.equal(await relay.ask({ type: 'ask-through', to: node.ref('c:/echo'), body: { type: 'echo', value: 'via a worker' } }), 'via a worker');
  assert.equal(await node.ref<RelayMsg>('b:/relay2').ask({ type: 'ask-through', to: node.ref('c:/echo'), body: { type: 'echo', value: 'b to c' } }), 'b to c');

  // refs come back qualified by their node; a ref to this node's actor comes back local
  const me = a.spawn(Inbox, { name: 'inbox', props: undefined });
  const who = await node.ref<RelayMsg>('b:/relay').ask<{ self: ActorRef<unknown>; sender: unknown }>({ type: 'whoami' });
  assert.equal(who.self.path, 'b:/relay');
  assert.equal(who.sender, null);
  await node.ref<RelayMsg>('b:/relay').ask({ type: 'forward', to: me, body: { hello: 'from b' } });
  const got = await waitFor(async () => {
    const l = await me.ask<{ from: string | null; msg: unknown }[]>({ type: 'dump' });
    return l.length ? l : null;
  }, 'the forwarded message');
  assert.deepEqual(got, [{ from: 'b:/relay', msg: { hello: 'from b' } }]);
  // the sender's ref works for the answer: ping from a local actor on a worker, pong back to it
  await node.ref<RelayMsg>('b:/relay').ask({ type: 'forward', to: node.ref('c:/inbox'), body: { third: 'party' } });
  const atC = await waitFor(async () => {
    const l = await node.ref('c:/inbox').ask<{ from: string | null; msg: unknown }[]>({ type: 'dump' });
    return l.length ? l : null;
  }, 'the message b forwarded to c');
  assert.deepEqual(atC, [{ from: 'b:/relay', msg: { third: 'party' } }]);

  // per-pair FIFO from a blaster on a worker thread here to a recorder on the far node's worker
  const blaster = a.spawn(Blaster, { name: 'blaster', props: undefined, thread: 0 });
  await blaster.ask({ type: 'blast', target: node.ref<RecMsg>('b:/rec'), id: 7, n: 20_000 });
  const rec = node.ref<RecMsg>('b:/rec');
  const seen = await waitFor(async () => {
    const l = await rec.ask<{ from: number; seq: number }[]>({ type: 'dump' }, { timeoutMs: 4000 });
    return l.length === 20_000 ? l : null;
  }, '20k messages in order', 10_000);
  assert.ok(seen.every((m, i) => m.from === 7 && m.seq === i));

  // unknown path on the far side: the ask rejects, the far node counts a dead letter
  assert.equal(await rejectionCode(node.ref<EchoMsg>('b:/nobody').ask({ type: 'count' }, { timeoutMs: 4000 })), 'actor-dead');
  const snapB = await node.peerSnapshot('b');
  assert.ok(snapB.counts.deadLetters >= 1, `dead letters on b: ${snapB.counts.deadLetters}`);
  assert.ok(snapB.actors.some((x) => x.path === '/echo'));

  // watch across nodes: a normal stop arrives as such
  const watcher = a.spawn(Watcher, { name: 'watcher', props: undefined, thread: 0 });
  await watcher.ask({ type: 'watch', target: node.ref('b:/relay') } satisfies WatcherMsg);
  await watcher.ask({ type: 'watch', target: node.ref('c:/inbox') } satisfies WatcherMsg);
  await watcher.ask({ type: 'watch', target: node.ref('c:/echo') } satisfies WatcherMsg);
  await node.ref<RelayMsg>('b:/relay').ask({ type: 'stop-me' });
  await waitFor(async () => (await watcher.ask<{ path: string; reason: unknown }[]>({ type: 'dump' })).some((t) => t.path === 'b:/relay' && t.reason === 'normal'), 'terminated b:/relay normal');

  // kill -9 c: a pending ask rejects with node-down, watchers of c's actors hear node-down
  const slow = rejectionCode(node.ref<EchoMsg>('c:/echo').ask({ type: 'slow', ms: 60_000 }, { timeoutMs: 30_000 }));
  await new Promise((r) => setTimeout(r, 50));
  const killedAt = performance.now();
  await c.kill9();
  assert.equal(await slow, 'node-down');
  const terms = await waitFor(async () => {
    const l = await watcher.ask<{ path: string; reason: unknown }[]>({ type: 'dump' });
    return l.filter((t) => t.path.startsWith('c:')).length === 2 ? l : null;
  }, 'node-down for both watched actors of c');
  assert.ok(performance.now() - killedAt < 2000);
  assert.deepEqual(terms.filter((t) => t.path.startsWith('c:')).map((t) => t.reason), [{ error: 'node-down' }, { error: 'node-down' }]);
  // mail to the dead node: a dead letter here, the ask rejects at once
  assert.equal(await rejectionCode(node.ref<EchoMsg>('c:/echo').ask({ type: 'count' })), 'node-down');

  // c comes back on the same address: the link returns per the policy and mail flows again
  c = await startNodeProcess({ name: 'c', listen: cUrl, peers: [{ name: 'b', url: b.url }], actors: [{ name: 'inbox', kind: 'Inbox' }, { name: 'echo', kind: 'Echo' }] });
  await linked(a, 'c');
  assert.equal(await node.ref<EchoMsg>('c:/echo').ask({ type: 'echo', value: 'again' }), 'again');
  assert.ok(a.snapshot && (await a.snapshot()).counts.deadLetters >= 1);
});
