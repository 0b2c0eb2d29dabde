// Actors used by the kernel benchmarks (loaded by worker threads by URL).
import { defineActor, type ActorRef } from '../runtime/index.ts';

export type CountMsg = { type: 'n'; n: number } | { type: 'get' };

/** Counts of Counter actors on this thread by path, read by the benchmark without asking. */
export const localCounts = new Map<string, number>();

export const Counter = defineActor<CountMsg, void>(import.meta.url, 'Counter', (_p, ctx) => {
  let count = 0;
  let sum = 0;
  return {
    receive(msg) {
      if (msg.type === 'n') {
        count++;
        sum += msg.n;
        localCounts.set(ctx.path, count);
      } else ctx.reply({ count, sum });
    },
  };
});

/** Tells every message back to `to`: the cross-thread echo. */
export const EchoBack = defineActor<CountMsg, { to: ActorRef<CountMsg> }>(
  import.meta.url,
  'EchoBack',
  (props) => ({
    receive(msg) {
      props.to.tell(msg);
    },
  }),
);

export const Answer = defineActor<{ type: 'ping'; i: number }, void>(import.meta.url, 'Answer', () => ({
  receive(msg, ctx) {
    ctx.reply(msg.i);
  },
}));

export const Crashy = defineActor<{ type: 'crash' }, void>(import.meta.url, 'Crashy', () => ({
  receive() {
    throw new Error('crash on purpose');
  },
}));

/** Supervises one Crashy child named `child`, restarted however often it fails and at once (no backoff: the benchmark measures the restart path itself). */
export const Parent = defineActor<never, void>(import.meta.url, 'Parent', (_p, ctx) => ({
  started() {
    ctx.spawn(Crashy, { name: 'child', props: undefined });
  },
  receive() {},
}), {
  supervisor: { strategy: 'one-for-one', decider: { kind: 'always-restart' } },
});
