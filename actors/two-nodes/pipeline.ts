// The two-node example: a pipeline whose stages sit on two runtime nodes.
//   node a: source (main) -> square (worker 0) -> [node b] cube (main) -> [node a] sink (main)
// The job carries the sink's ref: node b answers to whatever ref came in the message, without
// knowing where it lives. The front watches the remote stage: when node b is lost its watcher
// hears `node-down`, and it watches again once b is back.

import { defineActor, type ActorRef, type TerminatedEvent } from '../../runtime/index.ts';

export type Job = { type: 'job'; n: number; value: number; sink: ActorRef<SinkMsg> };
export type SinkMsg = { type: 'done'; n: number; value: number; via: string } | { type: 'report' };

export const Cube = defineActor<Job>(import.meta.url, 'Cube', (_p, ctx) => ({
  receive(msg) {
    msg.sink.tell({ type: 'done', n: msg.n, value: msg.value * msg.value * msg.value, via: ctx.path });
  },
}));

export const Square = defineActor<Job, { next: ActorRef<Job> }>(import.meta.url, 'Square', (p) => ({
  receive(msg) {
    p.next.tell({ ...msg, value: msg.value * msg.value });
  },
}));

export const Sink = defineActor<SinkMsg, { reportEveryMs: number }>(import.meta.url, 'Sink', (p, ctx) => {
  let received = 0;
  let last = -1;
  let lost = 0;
  return {
    started() {
      ctx.timers.every('report', p.reportEveryMs, { type: 'report' });
    },
    receive(msg) {
      if (msg.type === 'report') return void ctx.log.info('two-node pipeline', { received, lastJob: last, lostAcrossDrops: lost });
      received++;
      if (msg.n > last + 1) lost += msg.n - last - 1;
      last = Math.max(last, msg.n);
    },
    inspect: () => ({ received, lastJob: last, lostAcrossDrops: lost }),
  };
});

/** Node b's half: the cube stage under /pipeline. */
export const Back = defineActor<never>(import.meta.url, 'Back', (_p, ctx) => ({
  started: () => void ctx.spawn(Cube, { name: 'cube', props: undefined, thread: 'main' }),
  receive() {},
}));

type FrontMsg = { type: 'tick' } | { type: 'rewatch' };
/** Feeds jobs into the pipeline and watches the remote stage. */
export const Front = defineActor<FrontMsg, { remoteStage: string; ratePerSecond: number; reportEveryMs: number }>(import.meta.url, 'Front', (p, ctx) => {
  let n = 0;
  let square: ActorRef<Job>;
  let sink: ActorRef<SinkMsg>;
  const remote = ctx.refFor<Job>(p.remoteStage, -1);
  const perTick = Math.max(1, Math.round(p.ratePerSecond / 20));
  return {
    started() {
      sink = ctx.spawn(Sink, { name: 'sink', props: { reportEveryMs: p.reportEveryMs }, thread: 'main' });
      square = ctx.spawn(Square, { name: 'square', props: { next: remote }, thread: 0 });
      ctx.watch(remote);
      ctx.timers.every('tick', 50, { type: 'tick' });
    },
    receive(msg) {
      if (msg.type === 'rewatch') return void ctx.watch(remote);
      for (let i = 0; i < perTick; i++, n++) square.tell({ type: 'job', n, value: n, sink });
    },
    terminated(ev: TerminatedEvent) {
      ctx.log.warn('remote stage gone; watching again in 1 s', { stage: ev.ref.path, reason: ev.reason });
      ctx.timers.once('rewatch', 1000, { type: 'rewatch' });
    },
    inspect: () => ({ sent: n, remoteStage: p.remoteStage }),
  };
});
