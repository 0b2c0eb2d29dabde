// Mail that cannot cross a real link is refused alone, with a clear reason, and the link stays up:
// a function (or symbol, WeakMap, Promise) anywhere inside a message makes the frame's encoder
// throw and only that message is refused, naming the field; a message nested past the depth limit
// is refused by the receiving node (a dead letter there, its ask rejects `unsendable`).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem, ActorError } from '../../runtime/index.ts';
import type { EchoMsg } from '../runtime/fixtures/actors.ts';
import { startNodeProcess, startLocalNode, linked, waitFor, type NodeProcess } from './helpers.ts';

let b: NodeProcess;
let a: ActorSystem;
after(async () => {
  await a?.stop();
  await b?.stop();
});

async function rejection(p: Promise<unknown>): Promise<ActorError> {
  try {
    await p;
  } catch (err) {
    return err as ActorError;
  }
  throw new Error('expected a rejection');
}

test('what cannot cross is refused alone, named, and the link stays up', async () => {
  b = await startNodeProcess({ name: 'b', actors: [{ name: 'echo', kind: 'Echo' }, { name: 'inbox', kind: 'Inbox' }] });
  a = await startLocalNode('a', [{ name: 'b', url: b.url }], {}, 0);
  await linked(a, 'b');
  const echo = a.node!.ref<EchoMsg>('b:/echo');
  const inbox = a.node!.ref<unknown>('b:/inbox');

  // a function deep inside: the ask rejects naming the field; good mail in the same frame arrives
  inbox.tell({ n: 1 });
  const bad = rejection(echo.ask({ type: 'echo', value: { job: { retry: () => 1 } } }));
  inbox.tell({ n: 2, s: Symbol('x') });
  inbox.tell({ n: 3 });
  const e = await bad;
  assert.equal(e.code, 'unsendable');
  assert.match(e.message, /field "value\.job\.retry" is a function/);
  const got = await waitFor(async () => {
    const l = await inbox.ask<{ msg: { n: number } }[]>({ type: 'dump' });
    return l.length > 0 ? l : null;
  }, 'the good mail at b');
  assert.deepEqual(
    got.map((x) => x.msg.n),
    [1, 3],
  );
  const here = await a.snapshot();
  assert.ok(here.counts.deadLetters >= 2, `dead letters here: ${here.counts.deadLetters}`);

  // too deep for the receiver (limit 64): refused there, the link stays up
  let deep: unknown = 'bottom';
  for (let i = 0; i < 80; i++) deep = { d: deep };
  const tooDeep = await rejection(echo.ask({ type: 'echo', value: deep }));
  assert.equal(tooDeep.code, 'unsendable');
  assert.match(tooDeep.message, /nests deeper than 64 levels/);
  assert.equal(await echo.ask({ type: 'echo', value: 'still linked' }), 'still linked');
  assert.ok((await a.node!.peerSnapshot('b')).counts.deadLetters >= 1);
  assert.ok(a.node!.describe().peers.every((p) => p.state === 'up'));
});

test('frame cap on the sending side: a turn of mail over the cap is split into frames, a single message over it is refused', async () => {
  const c = await startNodeProcess({ name: 'c', actors: [{ name: 'echo', kind: 'Echo' }] });
  const d = await startLocalNode('d', [{ name: 'c', url: c.url }], { maxFrameBytes: 64 * 1024 }, 0);
  try {
    await linked(d, 'c');
    const echo = d.node!.ref<EchoMsg>('c:/echo');
    const pad = 'x'.repeat(10_000);
    // 20 messages of 10 KB in one turn: one run of 200 KB, sent as several frames under 64 KB
    for (let i = 0; i < 20; i++) assert.equal(echo.tell({ type: 'echo', value: `${i}${pad}` }), true);
    assert.equal(await echo.ask({ type: 'count' }), 21);
    const over = await rejection(echo.ask({ type: 'echo', value: 'y'.repeat(100_000) }));
    assert.equal(over.code, 'unsendable');
    assert.match(over.message, /over the frame cap of 65536 bytes/);
    assert.equal(await echo.ask({ type: 'echo', value: 'small' }), 'small');
    assert.ok(d.node!.describe().peers.every((p) => p.state === 'up'));
  } finally {
    await d.stop();
    await c.stop();
  }
});

test('inspection over a link: details that cannot cross are shown as the local control socket shows them (JSON), not a failed answer', async () => {
  const e = await startNodeProcess({ name: 'e', actors: [{ name: 'odd', kind: 'Odd' }] });
  const f = await startLocalNode('f', [{ name: 'e', url: e.url }], {}, 0);
  try {
    await linked(f, 'e');
    const snap = await f.node!.peerSnapshot('e');
    assert.deepEqual(snap.actors.find((x) => x.path === '/odd')?.info, { n: 1 });
  } finally {
    await f.stop();
    await e.stop();
  }
});
