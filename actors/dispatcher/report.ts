// Death reports for the quick-death rule (dispatcher.md §7.1): every supervised child of a
// dispatcher tells its DispatcherSupervisor (on the main thread) how long it lived before it
// failed; the supervisor decides between a restart and an escalation.

import type { ActorContext, StopReason } from '../../runtime/index.ts';
import type { SupMsg } from './messages.ts';

export function reportDeath(ctx: ActorContext<any>, supPath: string, startedAt: number, reason: StopReason, aliveSince = startedAt): void {
  if (typeof reason !== 'object') return; // a requested stop, not a failure
  ctx.refFor<SupMsg>(supPath, -1).tell({ t: 'died', path: ctx.path, aliveMs: Date.now() - aliveSince, reason: reason.error });
}
