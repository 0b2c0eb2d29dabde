// Model-based test of supervision (threads: 0, everything on main): strategies, restart intensity
// with escalation to the parent (and, at the root, the failing child is stopped), stop hooks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ActorSystem, type ActorRef, type SupervisionStrategy } from '../../runtime/index.ts';
import { restartSet } from '../../runtime/supervision/supervision.ts';
import { Kid, Sup, localHooks, type KidMsg, type SupMsg } from './fixtures/actors.ts';
import { record, rejectionCode, settle, type Recording } from './helpers.ts';

interface Model {
  strategy: SupervisionStrategy;
  max: number;
  /** Failures the supervisor has seen since it (re)started: its restart window (never expires here). */
  failures: number;
  restarts: number[];
  alive: boolean[];
  stopHooks: number[];
  /** Times the supervisor escalated (and, nested, was restarted by its own parent). */
  escalations: number;
}
interface Real {
  sys: ActorSystem;
  sup: ActorRef<SupMsg> | null;
  kids: ActorRef<KidMsg>[];
  supPath: string;
  events: Recording;
}

class CrashCmd implements fc.AsyncCommand<Model, Real> {
  readonly i: number;
  constructor(i: number) {
    this.i = i;
  }
  check(m: Readonly<Model>): boolean {
    return this.i < m.restarts.length && m.alive[this.i];
  }
  async run(m: Model, r: Real): Promise<void> {
    m.failures++;
    if (m.failures > m.max) {
      m.escalations++;
      if (r.sup) {
        // The supervisor fails itself; its parent restarts it, which recreates all its children.
        m.failures = 0;
        m.restarts = m.restarts.map(() => 0);
        m.stopHooks = m.stopHooks.map((n) => n + 1);
      } else {
        // At the root there is no one to escalate to: the failing child is stopped.
        m.alive[this.i] = false;
        m.stopHooks[this.i]++;
      }
    } else {
      for (const t of restartSet(m.strategy, m.restarts.length, this.i)) {
        m.restarts[t]++;
        m.stopHooks[t]++;
      }
    }
    assert.equal(r.kids[this.i].tell({ type: 'crash', why: `crash ${this.i}` }), true);
    await settle();
  }
  toString(): string {
    return `crash(${this.i})`;
  }
}

class CheckRestartsCmd implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const got = await Promise.all(r.kids.map((k) => k.ask<number>({ type: 'restarts' }, { timeoutMs: 2000 }).catch((e) => `rejected ${e.code}`)));
    const expected = m.restarts.map((n, i) => (m.alive[i] ? n : 'rejected actor-dead'));
    assert.deepEqual(got, expected, 'restart count of every child');
  }
  toString(): string {
    return 'checkRestarts';
  }
}

class CheckEscalationCmd implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    assert.equal(r.events.of('escalate', r.supPath).length, m.escalations, `escalations by ${r.supPath}`);
    if (r.sup) assert.equal(await r.sup.ask({ type: 'restarts' }), m.escalations, 'the supervisor was restarted once per escalation');
    const hooks = r.kids.map((k) => localHooks.filter((e) => e.what === 'stopped' && e.path === k.path).length);
    assert.deepEqual(hooks, m.stopHooks, 'stop hooks ran once per restart or stop');
  }
  toString(): string {
    return 'checkEscalation';
  }
}

const strategies: SupervisionStrategy[] = ['one-for-one', 'one-for-all', 'rest-for-one'];

async function runModel(nested: boolean, numRuns: number): Promise<void> {
  let n = 0;
  const cmds = [
    fc.integer({ min: 0, max: 3 }).map((i) => new CrashCmd(i)),
    fc.constant(new CheckRestartsCmd()),
    fc.constant(new CheckEscalationCmd()),
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...strategies),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 1, max: 4 }),
      fc.commands(cmds, { maxCommands: 14 }),
      async (strategy, max, kidCount, commands) => {
        const supervisor = { strategy, maxRestarts: max, withinMs: 60_000 };
        // Nested: the root restarts the escalating supervisor (generous intensity at the root).
        const sys = await ActorSystem.start({ threads: 0, logLevel: 'silent', supervisor: nested ? { maxRestarts: 1000, withinMs: 60_000 } : supervisor });
        const events = record(sys);
        localHooks.length = 0;
        try {
          const names = Array.from({ length: kidCount }, (_, i) => `k${i}`);
          let sup: ActorRef<SupMsg> | null = null;
          let kids: ActorRef<KidMsg>[];
          let supPath = '/';
          if (nested) {
            sup = sys.spawn(Sup, { name: `s${n++}`, props: { kids: names.map((name) => ({ name })) }, supervisor });
            supPath = sup.path;
            const refs = await sup.ask<{ path: string; thread: number }[]>({ type: 'children' });
            kids = refs.map((x) => sys.refFor<KidMsg>(x.path, x.thread));
          } else {
            kids = names.map((name) => sys.spawn(Kid, { name, props: undefined }));
          }
          await settle();
          const model: Model = {
            strategy,
            max,
            failures: 0,
            restarts: names.map(() => 0),
            alive: names.map(() => true),
            stopHooks: names.map(() => 0),
            escalations: 0,
          };
          const real: Real = { sys, sup, kids, supPath, events };
          await fc.asyncModelRun(() => ({ model, real }), [...commands, new CheckRestartsCmd(), new CheckEscalationCmd()]);
        } finally {
          events.stop();
          await sys.stop(2000);
        }
      },
    ),
    { numRuns },
  );
}

test('strategies and restart intensity under a supervisor actor (escalates to its parent)', async () => {
  await runModel(true, 100);
});

test('strategies and restart intensity at the root (the failing child is stopped)', async () => {
  await runModel(false, 60);
});

test('a crashed child that the root stops rejects asks with actor-dead', async () => {
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'silent', supervisor: { maxRestarts: 0, withinMs: 1000 } });
  try {
    const kid = sys.spawn(Kid, { name: 'k', props: undefined });
    const stopped = sys.whenStopped('/k');
    kid.tell({ type: 'crash', why: 'once' });
    assert.match(await stopped, /exceeded 0 restarts/);
    assert.equal(await rejectionCode(kid.ask({ type: 'restarts' })), 'actor-dead');
  } finally {
    await sys.stop(2000);
  }
});
