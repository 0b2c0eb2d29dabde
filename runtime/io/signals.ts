// The one owner of process signals. Only the main thread receives signals (worker threads get
// none: subscribing there is a no-op that says so), and only one process listener is installed per
// signal, however many actors and commands subscribe. A signal reaches each subscriber once, in
// subscription order: actors as a message they chose, kernel code (the run command) as a call.
// When the last subscriber of a signal leaves, its listener is removed and the default applies
// again (SIGINT/SIGTERM end the process).

import { isMainThread } from 'node:worker_threads';
import type { ActorRef } from '../actor/types.ts';

type Subscriber = (signal: NodeJS.Signals) => void;

const subscribers = new Map<NodeJS.Signals, Subscriber[]>();
const listeners = new Map<NodeJS.Signals, (signal: NodeJS.Signals) => void>();

/** Whether this thread can receive signals at all. */
export const signalsHere = isMainThread;

/** Calls `fn` on each `signals`; returns the unsubscribe. No-op on a worker thread. */
export function onSignal(signals: NodeJS.Signals | NodeJS.Signals[], fn: Subscriber): () => void {
  if (!isMainThread) return () => {};
  const list = Array.isArray(signals) ? signals : [signals];
  for (const sig of list) {
    let subs = subscribers.get(sig);
    if (subs === undefined) {
      subs = [];
      subscribers.set(sig, subs);
      const listener = (s: NodeJS.Signals): void => {
        for (const f of [...(subscribers.get(s) ?? [])]) f(s);
      };
      listeners.set(sig, listener);
      process.on(sig, listener);
    }
    subs.push(fn);
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const sig of list) {
      const subs = subscribers.get(sig);
      if (subs === undefined) continue;
      const i = subs.indexOf(fn);
      if (i >= 0) subs.splice(i, 1);
      if (subs.length === 0) {
        subscribers.delete(sig);
        process.off(sig, listeners.get(sig)!);
        listeners.delete(sig);
      }
    }
  };
}

/** Tells `ref` `message(signal)` on each of `signals`; returns the unsubscribe (call it in `stopped`). */
export function deliverSignals<M>(ref: ActorRef<M>, signals: NodeJS.Signals | NodeJS.Signals[], message: (signal: NodeJS.Signals) => M): () => void {
  return onSignal(signals, (sig) => void ref.tell(message(sig)));
}

/** Signals with at least one subscriber (inspection, tests). */
export function subscribedSignals(): NodeJS.Signals[] {
  return [...subscribers.keys()];
}
