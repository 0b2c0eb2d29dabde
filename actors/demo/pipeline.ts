// The demo pipeline: source (main) → square (worker 0) → flaky (worker 1, crashes every Nth job
// and is restarted by its supervisor) → sink (main, reports progress). Shows tell across
// threads, supervision with backoff, periodic timers and inspection in a few dozen lines.

import { defineActor, type ActorRef } from '../../runtime/index.ts';

export interface DemoConfig {
  ratePerSecond: number;
  crashEvery: number;
  reportEveryMs: number;
}

type Job = { type: 'job'; n: number; value: number };
export type SinkMsg = Job | { type: 'report' };
export type StageMsg = Job;
export type SourceMsg = { type: 'tick' };

export const Sink = defineActor<SinkMsg, { reportEveryMs: number }>(import.meta.url, 'Sink', (props, ctx) => {
  let received = 0;
  let lastN = -1;
  let gaps = 0;
  let windowStart = performance.now();
  let windowCount = 0;
  return {
    started() {
      ctx.timers.every('report', props.reportEveryMs, { type: 'report' });
    },
    receive(msg) {
      if (msg.type === 'job') {
        received++;
        windowCount++;
        if (msg.n > lastN + 1) gaps += msg.n - lastN - 1;
        lastN = Math.max(lastN, msg.n);
        return;
      }
      const now = performance.now();
      ctx.log.info('demo progress', { received, perSecond: Math.round((windowCount * 1000) / (now - windowStart)), lostToCrashes: gaps, lastJob: lastN });
      windowStart = now;
      windowCount = 0;
    },
    inspect: () => ({ received, lostToCrashes: gaps, lastJob: lastN }),
  };
});

/** Crashes on every `crashEvery`-th job: the job that made it crash is lost, the mailbox is kept. */
export const Flaky = defineActor<StageMsg, { sink: ActorRef<SinkMsg>; crashEvery: number }>(import.meta.url, 'Flaky', (props) => ({
  receive(msg) {
    if (msg.n > 0 && msg.n % props.crashEvery === 0) throw new Error(`job ${msg.n} is cursed (every ${props.crashEvery}th crashes)`);
    props.sink.tell(msg);
  },
}));

export const Square = defineActor<StageMsg, { next: ActorRef<StageMsg> }>(import.meta.url, 'Square', (props) => ({
  receive(msg) {
    props.next.tell({ type: 'job', n: msg.n, value: msg.value * msg.value });
  },
}));

export const Source = defineActor<SourceMsg, { next: ActorRef<StageMsg>; ratePerSecond: number }>(import.meta.url, 'Source', (props, ctx) => {
  let n = 0;
  const tickMs = 50;
  const perTick = Math.max(1, Math.round((props.ratePerSecond * tickMs) / 1000));
  return {
    started() {
      ctx.timers.every('tick', tickMs, { type: 'tick' });
    },
    receive() {
      for (let i = 0; i < perTick; i++, n++) props.next.tell({ type: 'job', n, value: n });
    },
    inspect: () => ({ sent: n }),
  };
});

/** Spawns the pipeline across main, worker 0 and worker 1, and supervises it with backoff. */
export const Pipeline = defineActor<never, DemoConfig>(
  import.meta.url,
  'Pipeline',
  (cfg, ctx) => ({
    started() {
      const sink = ctx.spawn(Sink, { name: 'sink', props: { reportEveryMs: cfg.reportEveryMs }, thread: 'main' });
      const flaky = ctx.spawn(Flaky, { name: 'flaky', props: { sink, crashEvery: cfg.crashEvery }, thread: 1 });
      const square = ctx.spawn(Square, { name: 'square', props: { next: flaky }, thread: 0 });
      ctx.spawn(Source, { name: 'source', props: { next: square, ratePerSecond: cfg.ratePerSecond }, thread: 'main' });
    },
    receive() {},
  }),
  { supervisor: { strategy: 'one-for-one', maxRestarts: 100, withinMs: 10_000, backoff: { minMs: 5, maxMs: 50, jitter: 0.2 } } },
);
