// Live view overhead: the kernel's cross-thread tell (main → actor on a worker, echoed back) in a
// system of 10,000 actors, with and without the live view attached (its server in the system's
// process, one page connected from another process, as a browser would be). Each phase runs for a
// fixed time; the two alternate over several rounds and each side reports its median, so drift
// on a shared machine hits both alike.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ActorSystem } from '../../runtime/index.ts';
import { startViewServer, systemSource } from '../../runtime/view/index.ts';
import { Counter, EchoBack, localCounts, type CountMsg } from '../actors.ts';
import { median as med } from './pairs.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

const ACTORS = 10_000;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const clientPath = fileURLToPath(new URL('../load/view-client.ts', import.meta.url));

type Echo = { tell(m: CountMsg): boolean };

interface Phase {
  /** Messages per second of wall time. */
  rate: number;
  /** Messages per CPU second of this process (all its threads): what the view costs the system, not what neighbours on a shared machine take from it. */
  perCpu: number;
}

/** Tells for `ms` with at most `window` messages in flight. */
async function tellFor(echo: Echo, path: string, ms: number): Promise<Phase> {
  const received = (): number => localCounts.get(path) ?? 0;
  const start = received();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  const window = 100_000;
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 10_000; i++) echo.tell({ type: 'n', n: sent++ });
    do await tick();
    while (sent - (received() - start) > window);
  }
  while (received() - start < sent) await tick();
  const cpu = process.cpuUsage(cpu0);
  return { rate: sent / ((performance.now() - t0) / 1000), perCpu: sent / ((cpu.user + cpu.system) / 1e6) };
}

function ask<T>(child: ChildProcess, want: (m: any) => T | null, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`view client: no ${what} in ${timeoutMs} ms`)), timeoutMs);
    const on = (m: unknown): void => {
      const v = want(m);
      if (v === null) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(v);
    };
    child.on('message', on);
  });
}

export async function run(o: ScenarioOptions): Promise<ScenarioResult[]> {
  const phaseMs = o.quick ? 2000 : 4000;
  const rounds = o.quick ? 5 : 7;
  const sys = await ActorSystem.start({ threads: 1, logLevel: 'error', name: 'bench-view' });
  for (let i = 0; i < ACTORS; i++) sys.spawn(Counter, { name: `a${i}`, props: undefined, thread: i % 2 === 0 ? 'main' : 0 });
  localCounts.delete('/sink'); // a count left by an earlier run in this process
  const sink = sys.spawn(Counter, { name: 'sink', props: undefined, thread: 'main', mailbox: { capacity: Infinity } });
  const echo = sys.spawn(EchoBack, { name: 'echo', props: { to: sink }, thread: 0, mailbox: { capacity: Infinity } });
  await sys.snapshot(); // every spawn has landed
  const view = await startViewServer({ host: '127.0.0.1', port: 0, source: systemSource(sys), log: { debug() {}, info() {}, warn() {}, error() {} } });
  await tellFor(echo, '/sink', 1000); // warm-up
  const without: Phase[] = [];
  const withView: Phase[] = [];
  let received = { messages: 0, bytes: 0, actors: 0 };
  const page = fork(clientPath, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const attached = async (): Promise<Phase> => {
    page.send({ op: 'connect', url: `ws://127.0.0.1:${view.port}/ws` });
    const actors = await ask(page, (m) => (m?.ready ? (m.actors as number) : null), 60_000, 'full state');
    if (actors < ACTORS) throw new Error(`the page saw ${actors} actors, expected at least ${ACTORS}`);
    const p = await tellFor(echo, '/sink', phaseMs);
    page.send({ op: 'leave' });
    received = await ask(page, (m) => (m?.left ? m : null), 10_000, 'report');
    // The page has gone: the view detaches before a phase without it.
    while (view.stats().attached) await new Promise((res) => setTimeout(res, 20));
    return p;
  };
  /** CPU milliseconds per second this process spends over `ms` with no traffic. */
  const idleCpu = async (ms: number): Promise<number> => {
    const c0 = process.cpuUsage();
    await new Promise((res) => setTimeout(res, ms));
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / (ms / 1000);
  };
  const idle = { without: 0, with: 0 };
  try {
    // What the view itself costs, without traffic to hide it: CPU time per second of this process
    // (not disturbed by neighbours taking the cores), without / with / with / without, averaged.
    const idleMs = phaseMs * 2;
    idle.without += (await idleCpu(idleMs)) / 2;
    page.send({ op: 'connect', url: `ws://127.0.0.1:${view.port}/ws` });
    await ask(page, (m) => (m?.ready ? true : null), 60_000, 'full state');
    await new Promise((res) => setTimeout(res, 1500)); // past the attach's first snapshot
    idle.with += (await idleCpu(idleMs)) / 2;
    idle.with += (await idleCpu(idleMs)) / 2;
    page.send({ op: 'leave' });
    await ask(page, (m) => (m?.left ? m : null), 10_000, 'report');
    while (view.stats().attached) await new Promise((res) => setTimeout(res, 20));
    idle.without += (await idleCpu(idleMs)) / 2;
    // Pairs in alternating order (without-with, with-without, ...) so that a trend hits both.
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        without.push(await tellFor(echo, '/sink', phaseMs));
        withView.push(await attached());
      } else {
        withView.push(await attached());
        without.push(await tellFor(echo, '/sink', phaseMs));
      }
    }
  } finally {
    page.kill();
    await view.close();
    await sys.stop();
  }
  const st = view.stats();
  return [
    {
      name: 'view.overhead',
      value: med(withView.map((p) => p.rate)),
      unit: 'msg/s',
      baseline: med(without.map((p) => p.rate)),
      baselineName: 'the same tell, no view attached',
      target: { ratio: 0.95 },
      ratios: withView.map((p, i) => p.rate / without[i].rate), // the rounds' pairs, back to back
      extra: {
        actors: ACTORS,
        withView: withView.map((p) => Math.round(p.rate)).join(' '),
        without: without.map((p) => Math.round(p.rate)).join(' '),
        pairedRatios: withView.map((p, i) => (p.rate / without[i].rate).toFixed(2)).join(' '),
        idleCpuMsPerSecondWithout: Math.round(idle.without),
        idleCpuMsPerSecondWithView: Math.round(idle.with),
        perCpuSecondRatio: Number((med(withView.map((p) => p.perCpu)) / med(without.map((p) => p.perCpu))).toFixed(3)),
        pageMessagesLastPhase: received.messages,
        pageKbLastPhase: Math.round(received.bytes / 1024),
        ticks: st.ticks,
      },
    },
  ];
}
