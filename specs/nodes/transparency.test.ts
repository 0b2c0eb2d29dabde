// Location transparency is tested, not assumed: the same kernel behaviours (ask answers and
// errors, deferred replies, timeouts, crashes and restarts, stop and watch, per-sender FIFO,
// mailbox overflow) checked against an actor on a worker thread here and against the same actor
// on another node.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem, type ActorRef } from '../../runtime/index.ts';
import { Echo, Recorder, Blaster, type EchoMsg, type RecMsg } from '../runtime/fixtures/actors.ts';
import { Watcher, Relay, Sleeper, type RelayMsg } from './fixtures/actors.ts';
import { startNodeProcess, startLocalNode, linked, waitFor, rejectionCode, type NodeProcess } from './helpers.ts';

let b: NodeProcess;
let a: ActorSystem;
after(async () => {
  await a?.stop();
  await b?.stop();
});

async function behaviours(where: string, echo: ActorRef<EchoMsg>, rec: ActorRef<RecMsg>, relay: ActorRef<RelayMsg>): Promise<void> {
  assert.deepEqual(await echo.ask({ type: 'echo', value: { n: [1, 2, 3], s: 'x', d: new Date(7) } }), { n: [1, 2, 3], s: 'x', d: new Date(7) }, where);
  assert.equal(await echo.ask({ type: 'slow', ms: 20 }), 'late', `${where}: a deferred reply`);
  assert.equal(await rejectionCode(echo.ask({ type: 'slow', ms: 2000 }, { timeoutMs: 100 })), 'ask-timeout', where);
  const refused = await echo.ask({ type: 'refuse', why: 'no thanks' }).catch((e: Error & { code: string }) => e);
  assert.equal((refused as { code: string }).code, 'remote-error', where);
  assert.match((refused as Error).message, /no thanks/, where);
  assert.equal(await rejectionCode(echo.ask({ type: 'crash', why: 'boom' })), 'actor-dead', `${where}: the ask that crashed it`);
  // restarted by its supervisor: it answers again (its state is fresh)
  assert.equal(await waitFor(() => echo.ask<number>({ type: 'count' }).catch(() => 0), `${where} restarted`), 1);

  const blaster = a.spawn(Blaster, { name: `blaster-${where}`, props: undefined, thread: 0 });
  await blaster.ask({ type: 'blast', target: rec, id: 1, n: 3000 });
  const seen = await waitFor(async () => {
    const l = await rec.ask<{ from: number; seq: number }[]>({ type: 'dump' });
    return l.length === 3000 ? l : null;
  }, `${where}: 3000 in order`);
  assert.ok(seen.every((m, i) => m.seq === i), `${where}: FIFO`);

  const w = a.spawn(Watcher, { name: `watcher-${where}`, props: undefined });
  await w.ask({ type: 'watch', target: relay });
  await relay.ask({ type: 'stop-me' });
  const t = await waitFor(async () => (await w.ask<{ path: string; reason: unknown }[]>({ type: 'dump' }))[0], `${where}: terminated`);
  assert.deepEqual(t, { path: relay.path, reason: 'normal' });
  assert.equal(await rejectionCode(relay.ask({ type: 'whoami' }, { timeoutMs: 3000 })), 'actor-dead', `${where}: asking a stopped actor`);
}

test('the same behaviours on a worker thread here and on another node', async () => {
  b = await startNodeProcess({
    name: 'b',
    threads: 1,
    actors: [
      { name: 'echo', kind: 'Echo', thread: 0 },
      { name: 'rec', kind: 'Recorder', thread: 0 },
      { name: 'relay', kind: 'Relay', thread: 0 },
      { name: 'sleeper', kind: 'Sleeper', thread: 0, mailbox: { capacity: 1, overflow: 'reject' } },
    ],
  });
  a = await startLocalNode('a', [{ name: 'b', url: b.url }]);
  await linked(a, 'b');
  const local = {
    echo: a.spawn(Echo, { name: 'echo', props: undefined, thread: 0 }),
    rec: a.spawn(Recorder, { name: 'rec', props: undefined, thread: 0 }),
    relay: a.spawn(Relay, { name: 'relay', props: undefined, thread: 0 }),
  };
  await behaviours('local', local.echo, local.rec, local.relay);
  await behaviours('remote', a.node!.ref('b:/echo'), a.node!.ref('b:/rec'), a.node!.ref('b:/relay'));
});

test('a remote mailbox that rejects: the ask fails with mailbox-full, as locally', async () => {
  const check = async (where: string, s: ActorRef<{ type: 'sleep'; ms: number } | { type: 'poke' }>): Promise<void> => {
    // capacity 1: whether or not the sleep was taken out yet, the second poke finds it full
    const sleeping = s.ask({ type: 'sleep', ms: 300 });
    const first = s.ask({ type: 'poke' }).then((v) => v, (e: { code: string }) => e.code);
    assert.equal(await rejectionCode(s.ask({ type: 'poke' })), 'mailbox-full', where);
    assert.equal(await sleeping, 'awake');
    assert.ok(['awake', 'mailbox-full'].includes((await first) as string), where);
  };
  await check('local', a.spawn(Sleeper, { name: 'sleeper', props: undefined, thread: 0, mailbox: { capacity: 1, overflow: 'reject' } }));
  await check('remote', a.node!.ref('b:/sleeper'));
  const snap = await a.node!.peerSnapshot('b');
  assert.ok(snap.actors.some((x) => x.path === '/echo' && x.restarts === 1), 'the crash above restarted b:/echo once');
});
