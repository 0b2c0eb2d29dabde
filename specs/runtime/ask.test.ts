// Asks always settle: answered, or rejected on timeout, on the target's death (queued, in progress,
// deferred), for a target that does not exist, and with the target's own error.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorError } from '../../runtime/index.ts';
import { Asker, Echo, Kid, type AskerMsg, type KidMsg } from './fixtures/actors.ts';
import { isPending, rejectionCode, settle, systemsForFile } from './helpers.ts';

const start = systemsForFile(after);

for (const where of ['main', 'worker'] as const) {
  test(`ask rejections on the ${where} thread: timeout, stop while queued, stop while deferred, no such actor`, async () => {
    const sys = await start(where === 'main' ? 0 : 1);
    const thread = where === 'main' ? 'main' : 0;
    const kid = sys.spawn(Kid, { name: 'k', props: undefined, thread });
    assert.equal(await kid.ask({ type: 'restarts' }), 0);

    const t0 = performance.now();
    const timedOut = kid.ask({ type: 'hold' }, { timeoutMs: 60 });
    await assert.rejects(timedOut, (e: ActorError) => e instanceof ActorError && e.code === 'ask-timeout' && e.path === '/k' && /60 ms/.test(e.message));
    const took = performance.now() - t0;
    assert.ok(took >= 55 && took < 1000, `timed out after ${took} ms`);

    // In progress, deferred; then one queued behind a slow async handler: the stop fails both.
    const deferred = kid.ask({ type: 'hold' }, { timeoutMs: 5000 });
    const busy = kid.ask({ type: 'async', ms: 300 }, { timeoutMs: 5000 });
    const queued = kid.ask({ type: 'restarts' }, { timeoutMs: 5000 });
    await settle();
    const t1 = performance.now();
    await sys.stopActor(kid);
    assert.equal(await rejectionCode(deferred), 'actor-dead');
    assert.equal(await rejectionCode(busy), 'actor-dead');
    assert.equal(await rejectionCode(queued), 'actor-dead');
    assert.ok(performance.now() - t1 < 250, 'rejected at the stop, not by timeout');

    assert.equal(await rejectionCode(kid.ask({ type: 'restarts' }, { timeoutMs: 2000 })), 'actor-dead', 'the actor is gone');
    // A path that never existed: its mail waits a grace period for a spawn that may be on its way.
    const t2 = performance.now();
    assert.equal(await rejectionCode(sys.refFor<KidMsg>('/never', where === 'main' ? -1 : 0).ask({ type: 'restarts' }, { timeoutMs: 5000 })), 'actor-dead');
    assert.ok(performance.now() - t2 < 2500, 'rejected after the grace period, not by timeout');
  });
}

test('ask rejections seen from an actor on another worker', async () => {
  const sys = await start(2);
  const kid = sys.spawn(Kid, { name: 'k', props: undefined, thread: 0 });
  const asker = sys.spawn(Asker, { name: 'asker', props: undefined, thread: 1 });
  await kid.ask({ type: 'restarts' }); // exists on worker 0 before the asker on worker 1 talks to it
  const via = (msg: KidMsg, timeoutMs = 2000): Promise<unknown> => asker.ask({ type: 'ask', target: kid, msg, timeoutMs } as AskerMsg, { timeoutMs: 5000 });
  assert.deepEqual(await via({ type: 'where' }), { ok: { path: '/k', thread: 0, restarts: 0 } });
  assert.deepEqual(await via({ type: 'hold' }, 50), { code: 'ask-timeout' });
  const held = via({ type: 'hold' }, 3000);
  await kid.ask({ type: 'restarts' }); // the hold is in place
  await sys.stopActor(kid);
  assert.deepEqual(await held, { code: 'actor-dead' });
});

test('a crash while handling an ask rejects it with actor-dead; replyError reaches the asker with a message', async () => {
  const sys = await start(0);
  const echo = sys.spawn(Echo, { name: 'e', props: undefined });
  await assert.rejects(echo.ask({ type: 'crash', why: 'bad input' }), (e: ActorError) => e.code === 'actor-dead' && /bad input/.test(e.message));
  assert.equal(await echo.ask({ type: 'echo', value: 7 }), 7, 'restarted and answering');
  assert.equal(await echo.ask({ type: 'slow', ms: 20 }), 'late', 'a deferred reply arrives');
  await assert.rejects(echo.ask({ type: 'refuse', why: 'not today' }), (e: ActorError) => e.code === 'remote-error' && e.path === '/e' && e.message === 'not today');
});

test('an ask with a deadline beyond 2^31-1 ms (or Infinity) waits instead of timing out at once', async () => {
  const sys = await start(0);
  const kid = sys.spawn(Kid, { name: 'patient', props: undefined });
  const forever = kid.ask({ type: 'hold' }, { timeoutMs: Infinity });
  const long = kid.ask({ type: 'hold' }, { timeoutMs: 2 ** 32 });
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(await isPending(forever), 'Infinity');
  assert.ok(await isPending(long), '2^32 ms');
  await sys.stopActor(kid);
  assert.equal(await rejectionCode(forever), 'actor-dead');
  assert.equal(await rejectionCode(long), 'actor-dead');
});
