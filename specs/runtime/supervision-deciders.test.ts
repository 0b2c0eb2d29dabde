// Supervision deciders: the named presets (always-restart, quick-death), a behaviour's own
// `decide` hook (stop, escalate), and ActorError.data surviving an ask's rejection.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorError, defineActor, supervisors, type ActorRef, type ChildFailure, type SupervisionDecision } from '../../runtime/index.ts';
import { record, systemsForFile, waitFor } from './helpers.ts';

const start = systemsForFile(after);

type ChildMsg = { t: 'crash' } | { t: 'ping' };
export const Child = defineActor<ChildMsg, void>(import.meta.url, 'DeciderChild', (_p, ctx) => ({
  receive(msg) {
    if (msg.t === 'crash') throw new Error('boom');
    ctx.reply(ctx.restarts);
  },
}));

type ParentMsg = { t: 'seen' };
/** Spawns one child `c`; answers `seen` with the failures its decide hook saw. */
export const Parent = defineActor<ParentMsg, { verdict?: SupervisionDecision }>(
  import.meta.url,
  'DeciderParent',
  (props, ctx) => {
    const seen: ChildFailure[] = [];
    return {
      started() {
        ctx.spawn(Child, { name: 'c', props: undefined });
      },
      receive() {
        ctx.reply(seen);
      },
      decide(f) {
        seen.push(f);
        return props.verdict;
      },
    };
  },
);

const child = (sys: { refFor<T>(p: string, t: number): ActorRef<T> }, path: string): ActorRef<ChildMsg> => sys.refFor<ChildMsg>(path, -1);

test('always-restart: restarts far beyond the default intensity, never escalates', async () => {
  const sys = await start(0);
  const rec = record(sys);
  sys.spawn(Parent, { name: 'p', props: {}, supervisor: supervisors.alwaysRestart({ minMs: 0, maxMs: 0 }) });
  const c = child(sys, '/p/c');
  for (let i = 0; i < 25; i++) {
    await waitFor(async () => (await c.ask<number>({ t: 'ping' }).catch(() => -1)) === i, `incarnation ${i}`);
    c.tell({ t: 'crash' });
  }
  await waitFor(async () => (await c.ask<number>({ t: 'ping' }).catch(() => -1)) === 25, 'the 25th restart');
  assert.equal(rec.of('escalate').length, 0);
  const seen = await sys.refFor<ParentMsg>('/p', -1).ask<ChildFailure[]>({ t: 'seen' });
  assert.equal(seen.length, 25);
  assert.equal(seen[0].child, '/p/c');
  assert.equal(seen[0].reason, 'boom');
  assert.equal(seen[24].failuresInWindow, 25, 'the window still counts');
});

test('quick-death: a child dying within quickDeathMs of its start escalates; one that lived longer restarts', async () => {
  const sys = await start(0);
  const rec = record(sys);
  sys.spawn(Parent, { name: 'q', props: {}, supervisor: supervisors.quickDeath({ quickDeathMs: 150, maxRestarts: 100, withinMs: 10_000 }) });
  const c = child(sys, '/q/c');
  await c.ask({ t: 'ping' });
  await new Promise((r) => setTimeout(r, 200)); // the child must outlive quickDeathMs: a duration is the point
  c.tell({ t: 'crash' });
  await waitFor(async () => (await c.ask<number>({ t: 'ping' }).catch(() => -1)) === 1, 'restarted once');
  assert.equal(rec.of('escalate').length, 0);
  c.tell({ t: 'crash' }); // at once after its restart: a quick death
  await waitFor(() => rec.of('escalate', '/q').length === 1, 'escalation');
  const e = rec.of('escalate', '/q')[0] as { reason: string };
  assert.match(e.reason, /^quick death: \/q\/c died \d+ ms after its start \(within 150 ms\): boom$/);
});

test("a behaviour's decide hook: stop ends the child without a restart; escalate fails the parent", async () => {
  const sys = await start(0);
  const rec = record(sys);
  sys.spawn(Parent, { name: 's', props: { verdict: 'stop' } });
  const c = child(sys, '/s/c');
  await c.ask({ t: 'ping' });
  c.tell({ t: 'crash' });
  await waitFor(() => rec.of('stop', '/s/c').length === 1, 'the child stopped');
  assert.equal(rec.of('restart', '/s/c').length, 0);
  sys.spawn(Parent, { name: 'e', props: { verdict: 'escalate' } });
  const c2 = child(sys, '/e/c');
  await c2.ask({ t: 'ping' });
  c2.tell({ t: 'crash' });
  await waitFor(() => rec.of('escalate', '/e').length === 1, 'escalation');
  assert.match((rec.of('escalate', '/e')[0] as { reason: string }).reason, /^child \/e\/c failed and \/e escalates: boom$/);
});

type FailMsg = { t: 'go' };
export const Refuser = defineActor<FailMsg, void>(import.meta.url, 'DataRefuser', (_p, ctx) => ({
  receive() {
    ctx.replyError(new ActorError('start-failed', ctx.path, 'd1: cannot listen', { exitCode: 3, error: 'd1: cannot listen' }));
  },
}));

test('ActorError.data reaches the asker structured', async () => {
  const sys = await start(0);
  const r = sys.spawn(Refuser, { name: 'r', props: undefined });
  await assert.rejects(r.ask({ t: 'go' }), (err: unknown) => {
    assert.ok(err instanceof ActorError);
    assert.equal(err.code, 'start-failed');
    assert.equal(err.message, 'd1: cannot listen');
    assert.deepEqual(err.data, { exitCode: 3, error: 'd1: cannot listen' });
    return true;
  });
});
