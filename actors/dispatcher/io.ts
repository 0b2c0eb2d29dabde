// `DispatcherIo`: one dispatcher's I/O subtree on its own thread (dispatcher.md §1.3): the
// RequestQueue, the WorkerPool, the ConnectionGroups and the Acceptor, plus their shared state
// (table, counters). It binds the listener at once, while the handlers start (a fast start), but
// serves nothing before they are up: connections accepted meanwhile are held (registered, not
// read) and served when the pool is ready, or closed with zero bytes if the start fails, which is
// reported as before (§7.1: a request arriving early waits, it never fails because of the start).
// The dispatcher is ready when it listens and its handlers are up. It runs the drain of §6.2.

import type { ActorRef } from '../../runtime/index.ts';
// Kernel modules directly (not runtime/index.ts): a worker thread loads only what it runs.
import { defineActor } from '../../runtime/actor/behavior.ts';
import { supervisors } from '../../runtime/supervision/supervision.ts';
import { defRef } from '../../runtime/kernel/def-ref.ts';
import { Acceptor, dispatcherView } from './acceptor.ts';
import { reportFailure } from './report-failure.ts';
import { openShared, type Counters } from './shared.ts';
import { isInline, loadInlineHandler, type InlineLoadError } from './inline-runner.ts';
import type { DispatcherConfig } from './config/index.ts';
import type { GroupProps } from './group.ts';
import type { QueueProps } from './queue.ts';
import type { PoolProps } from './worker.ts';
import type { AcceptorMsg, GroupMsg, IoMsg, PoolMsg, QueueMsg, SupMsg } from './messages.ts';

// Only the acceptor is imported: it binds at once. The queue, the pool and the groups are spawned
// by reference (runtime/kernel/def-ref.ts), so their code (connections, xstate, handler runners)
// loads while the listener binds, not before; mail to them waits in the kernel's placeholder
// meanwhile, and nothing is sent to a group before the handlers are up (held connections).
const here = (f: string): string => new URL(f, import.meta.url).href;
const RequestQueue = defRef<QueueMsg, QueueProps>(here('./queue.ts'), 'RequestQueue');
const WorkerPool = defRef<PoolMsg, PoolProps>(here('./worker.ts'), 'WorkerPool');
const ConnectionGroup = defRef<GroupMsg, GroupProps>(here('./group.ts'), 'ConnectionGroup');

export interface IoProps {
  cfg: DispatcherConfig;
  /** Path of the DispatcherSupervisor (main thread). */
  sup: string;
}

/** Children of the I/O actor restart one by one; the quick-death rule is the supervisor's. */
const childSupervision = supervisors.alwaysRestart({ minMs: 20, maxMs: 1000, jitter: 0.2 });

/** How often the counters are reported to the supervisor (what a dying thread can lose). */
const REPORT_MS = 250;

/** After the drain deadline, connections get this long to write their SHUTDOWN replies. */
const DEADLINE_GRACE_MS = 300;

export const DispatcherIo = defineActor<IoMsg, IoProps>(
  import.meta.url,
  'DispatcherIo',
  (props, ctx) => {
    const cfg = props.cfg;
    const s = openShared(ctx, cfg);
    const sup = ctx.refFor<SupMsg>(props.sup, -1);
    const groups: ActorRef<GroupMsg>[] = [];
    let acceptor: ActorRef<AcceptorMsg> | null = null;
    let ready = false;
    let address: string | null = null;
    const readyIfUp = (): void => {
      if (ready || address === null || !s.serving) return;
      ready = true;
      sup.tell({ t: 'ready', address });
    };
    let drainReported = false;
    let carried = false;

    const reportDrained = (): void => {
      if (drainReported) return;
      drainReported = true;
      ctx.timers.cancel('deadline');
      ctx.timers.cancel('grace');
      sup.tell({ t: 'drained', abandoned: s.counters.abandoned, open: s.table.liveCount });
    };

    return {
      started() {
        s.onEmpty = () => {
          if (s.draining) ctx.self.tell({ t: 'check-drained' });
        };
        sup.tell({ t: 'up', io: ctx.self });
        ctx.timers.every('report', REPORT_MS, { t: 'report' });
        s.queue = ctx.spawn(RequestQueue, { name: 'queue', props: { io: ctx.path } });
        ctx.spawn(WorkerPool, { name: 'pool', props: { io: ctx.path, sup: props.sup } });
        for (let g = 0; g < cfg.NumThreads; g++) groups.push(ctx.spawn(ConnectionGroup, { name: `g${g}`, props: { io: ctx.path, index: g } }));
        if (!s.draining) acceptor = ctx.spawn(Acceptor, { name: 'acceptor', props: { io: ctx.path } });
      },
      receive(msg) {
        switch (msg.t) {
          case 'pool-ready':
            if (s.serving) return; // a restarted pool
            if (isInline(cfg) && s.inline === null) {
              // Inline placement: the handler is loaded on this thread before the first connection.
              void loadInlineHandler(cfg, s.protocol, s.counters).then(
                (h) => ((s.inline = h), ctx.self.tell(msg)),
                (err: InlineLoadError) => sup.tell({ t: 'start-failed', exitCode: err.exitCode ?? 1, error: err.message }),
              );
              return;
            }
            s.serving = true;
            acceptor?.tell({ t: 'open' });
            readyIfUp();
            break;
          case 'pool-failed':
            if (!ready) sup.tell({ t: 'start-failed', exitCode: 1, error: `${cfg.Name}: the worker pool cannot start: ${msg.error}` });
            break;
          case 'listening':
            // Warned once bound, not before: the first line written loads the logger (pino), which
            // would delay the bind of every original config.json (it has no Allow list).
            if (cfg.Allow === null && address === null) s.log.warn('no Allow list: every peer is accepted', { dispatcher: cfg.Name });
            address = msg.address;
            readyIfUp();
            break;
          case 'bind-failed':
            if (!ready) sup.tell({ t: 'start-failed', exitCode: msg.code === 'EADDRINUSE' ? 3 : 1, error: `${cfg.Name}: ${msg.error}` });
            break;
          case 'drain':
            if (s.draining) return;
            s.draining = true;
            s.log.info('draining', { stopTimeoutS: cfg.StopTimeout, connections: s.table.liveCount });
            acceptor?.tell({ t: 'drain' });
            for (const g of groups) g.tell({ t: 'drain' });
            ctx.timers.once('deadline', cfg.StopTimeout * 1000, { t: 'deadline' });
            ctx.self.tell({ t: 'check-drained' });
            break;
          case 'check-drained':
            if (s.draining && s.table.liveCount === 0) reportDrained();
            break;
          case 'deadline':
            if (drainReported) return;
            s.log.warn('drain deadline reached', { stopTimeoutS: cfg.StopTimeout, open: s.table.liveCount });
            for (const g of groups) g.tell({ t: 'deadline' });
            ctx.timers.once('grace', DEADLINE_GRACE_MS, { t: 'drain-grace' });
            break;
          case 'drain-grace':
            reportDrained();
            break;
          case 'restarts':
            s.supervisedRestarts = msg.n;
            s.counters.restarts = s.supervisedRestarts + s.replacements;
            break;
          case 'report':
            sup.tell({ t: 'counters', counters: { ...s.counters }, replacements: s.replacements });
            break;
          case 'carry': {
            // The I/O thread died and took the counters with it: continue from the last report.
            if (!s.fresh || carried) return;
            carried = true;
            for (const k of Object.keys(s.counters) as (keyof Counters)[]) if (k !== 'restarts') s.counters[k] += msg.counters[k];
            s.replacements += msg.replacements;
            s.counters.restarts = s.supervisedRestarts + s.replacements;
            break;
          }
        }
      },
      decide(f) {
        reportFailure(sup, f);
        return 'restart';
      },
      stopped() {
        s.onEmpty = null;
      },
      inspect() {
        return { dispatcher: cfg.Name, ready, draining: s.draining, gauges: dispatcherView(s).gauges };
      },
    };
  },
  { supervisor: childSupervision },
);
