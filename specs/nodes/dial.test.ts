// A link opened on first use: a peer added at run time is not dialed until mail names it; that
// mail waits for the connection attempt (it is not refused) and arrives, in order. Mail to a node
// that is not a peer is refused at once (node-unknown).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem } from '../../runtime/index.ts';
import type { EchoMsg } from '../runtime/fixtures/actors.ts';
import { startNodeProcess, startLocalNode, rejectionCode, type NodeProcess } from './helpers.ts';

let b: NodeProcess;
let a: ActorSystem;
after(async () => {
  await a?.stop();
  await b?.stop();
});

test('a peer added at run time is dialed on first use, and the first mail waits for it', async () => {
  b = await startNodeProcess({ name: 'b', actors: [{ name: 'echo', kind: 'Echo' }, { name: 'inbox', kind: 'Inbox' }] });
  a = await startLocalNode('a', [], {}, 0);
  a.node!.addPeer('b', b.url);
  assert.deepEqual(
    a.node!.describe().peers.map((p) => [p.name, p.state]),
    [['b', 'down']],
    'not dialed before it is used',
  );
  const inbox = a.node!.ref<unknown>('b:/inbox');
  for (let i = 0; i < 5; i++) assert.equal(inbox.tell({ i }), true);
  assert.equal(a.node!.describe().peers[0].state, 'connecting');
  assert.equal(await a.node!.ref<EchoMsg>('b:/echo').ask({ type: 'echo', value: 'first use' }), 'first use');
  const got = await inbox.ask<{ msg: { i: number } }[]>({ type: 'dump' });
  assert.deepEqual(
    got.map((x) => x.msg.i),
    [0, 1, 2, 3, 4],
  );
});

test('mail to a node that is not among the peers is refused at once: node-unknown, a dead letter here', async () => {
  const before = (await a.snapshot()).counts.deadLetters;
  const nowhere = a.node!.ref<EchoMsg>('nowhere:/echo');
  assert.equal(nowhere.tell({ type: 'count' }), false);
  assert.equal(await rejectionCode(nowhere.ask({ type: 'count' })), 'node-unknown');
  assert.equal((await a.snapshot()).counts.deadLetters, before + 2);
});
