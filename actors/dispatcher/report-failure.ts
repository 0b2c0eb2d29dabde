// How a failure under the I/O actor reaches the dispatcher's quick-death rule. A module of its own:
// the I/O actor (io.ts) uses it at start, without loading the worker pool's code (worker.ts).

import type { ActorRef, ChildFailure } from '../../runtime/index.ts';
import type { SupMsg } from './messages.ts';

/**
 * Tells the DispatcherSupervisor (main thread) about a failure under it: it applies the
 * quick-death rule to the whole dispatcher (dispatcher.md §7.1); the parent restarts the child.
 */
export function reportFailure(sup: ActorRef<SupMsg>, f: ChildFailure): void {
  const since = (f.data as { aliveSince?: number } | undefined)?.aliveSince;
  const aliveMs = since !== undefined ? Date.now() - since : Math.round(f.uptimeMs);
  sup.tell({ t: 'died', path: f.child, aliveMs, reason: f.reason });
}
