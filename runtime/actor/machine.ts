// xstate v5 adapter: an actor whose behaviour is a state machine. For lifecycles and coordination
// (connections, the lottery draw), not for per-message data paths: xstate costs ~15x a plain drain.
// xstate only stops a machine that throws (and may rethrow from a timer): the adapter always
// subscribes an error observer and turns the error into an actor crash for the supervisor.

import { createActor, type AnyStateMachine, type Actor } from 'xstate';
import { defineActor, type ActorContext, type ActorDef, type DefOptions } from './behavior.ts';
import type { StopReason } from './types.ts';

export interface MachineSetup {
  machine: AnyStateMachine;
  input?: unknown;
  /** Runs after the machine stopped, on stop, restart and crash: release sockets, files, timers. */
  stopped?(reason: StopReason): void;
  /** Extra details for `inspect`, merged with the machine's state. */
  inspect?(): Record<string, unknown>;
}

export function defineMachineActor<M extends { type: string }, P = void>(
  module: string,
  name: string,
  setup: (props: P, ctx: ActorContext<M>) => MachineSetup,
  options: DefOptions = {},
): ActorDef<M, P> {
  return defineActor<M, P>(
    module,
    name,
    (props, ctx) => {
      const s = setup(props, ctx);
      const { machine, input } = s;
      const actor: Actor<AnyStateMachine> = createActor(machine, { input });
      const sub = actor.subscribe({
        error: (err) => ctx.fail(err),
        complete: () => ctx.stop(),
      });
      return {
        started() {
          actor.start();
        },
        receive(message) {
          actor.send(message);
        },
        stopped(_ctx, reason) {
          // Stopping the machine completes it: that must not stop the actor (this hook also runs on restart).
          sub.unsubscribe();
          actor.stop();
          s.stopped?.(reason);
        },
        inspect() {
          const snap = actor.getSnapshot();
          return { state: snap.value, status: snap.status, ...s.inspect?.() };
        },
      };
    },
    options,
  );
}
