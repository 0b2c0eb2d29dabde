// Tells gathered in one turn cross a real link as one run and go into the target's mailbox at
// once when they fit (Mailbox.offerRun); otherwise one by one through the overflow policy. Either
// way: every message in order, with its sender; what the mailbox refuses is a dead letter there;
// a message nested too deep is refused alone and the rest of its run arrives.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem } from '../../runtime/index.ts';
import { Blaster } from '../runtime/fixtures/actors.ts';
import { startNodeProcess, startLocalNode, linked, waitFor, type NodeProcess } from './helpers.ts';

let b: NodeProcess;
let a: ActorSystem;
after(async () => {
  await a?.stop();
  await b?.stop();
});

type Got = { from: string | null; msg: { n?: number; seq?: number } }[];

async function setup(): Promise<void> {
  if (a) return;
  // threads 0 on b: its actors live on the main thread, where runs are delivered whole
  b = await startNodeProcess({
    name: 'b',
    actors: [
      { name: 'inbox', kind: 'Inbox' },
      { name: 'small', kind: 'Inbox', mailbox: { capacity: 4, overflow: 'reject' } },
    ],
  });
  a = await startLocalNode('a', [{ name: 'b', url: b.url }], {}, 0);
  await linked(a, 'b');
}

const deadLettersAtB = async (): Promise<number> => (await a.node!.peerSnapshot('b')).counts.deadLetters;

test('a run of tells arrives whole, in order, with its sender', async () => {
  await setup();
  const inbox = a.node!.ref<unknown>('b:/inbox');
  for (let n = 0; n < 50; n++) assert.equal(inbox.tell({ n }), true);
  const blaster = a.spawn(Blaster, { name: 'blaster', props: undefined });
  await blaster.ask({ type: 'blast', target: inbox as never, id: 7, n: 2000 });
  const got = await waitFor(async () => {
    const l = await inbox.ask<Got>({ type: 'dump' });
    return l.length > 0 ? l : null;
  }, 'the runs at b');
  assert.deepEqual(
    got.slice(0, 50).map((x) => [x.from, x.msg.n]),
    Array.from({ length: 50 }, (_, n) => [null, n]),
  );
  const blasted = got.slice(50);
  assert.equal(blasted.length, 2000);
  assert.ok(blasted.every((x, i) => x.from === 'a:/blaster' && x.msg.seq === i), 'the blaster run: sender a:/blaster, seq in order');
});

test('a run over the mailbox capacity: what fits is delivered in order, the rest are dead letters there', async () => {
  await setup();
  const small = a.node!.ref<unknown>('b:/small');
  const before = await deadLettersAtB();
  // one turn, one frame, one run of 10 into a mailbox of 4 (reject)
  for (let n = 0; n < 10; n++) small.tell({ n });
  await waitFor(async () => (await deadLettersAtB()) === before + 6, 'six dead letters at b');
  const got = await small.ask<Got>({ type: 'dump' });
  assert.deepEqual(
    got.map((x) => x.msg.n),
    [0, 1, 2, 3],
  );
});

test('a message nested too deep is refused alone; the rest of its run arrives in order', async () => {
  await setup();
  const inbox = a.node!.ref<unknown>('b:/inbox');
  const before = await deadLettersAtB();
  let deep: unknown = 'bottom';
  for (let i = 0; i < 80; i++) deep = { d: deep };
  inbox.tell({ n: 1 });
  inbox.tell({ n: 2, deep });
  inbox.tell({ n: 3 });
  await waitFor(async () => (await deadLettersAtB()) === before + 1, 'one dead letter at b');
  const got = await inbox.ask<Got>({ type: 'dump' });
  assert.deepEqual(
    got.map((x) => x.msg.n),
    [1, 3],
  );
  assert.ok(a.node!.describe().peers.every((p) => p.state === 'up'), 'the link stays up');
});
