// `WorkerPool` → `Worker` (dispatcher.md §1.1, §4, §5.6, §7.1). A Worker runs one handler
// instance (see runners/), takes envelopes from the RequestQueue up to its capacity, and routes
// each result back by (slot, gen): delivered only if the slot is live with that generation,
// otherwise dropped and counted in `staleReplies` (§5.5). A Worker whose instance dies fails its
// requests with WORKER_FAILED (never retried) and crashes; the pool restarts it, and the
// dispatcher's supervisor applies the quick-death rule. The pool starts `Workers.Min` workers,
// grows toward `Workers.Max` under queue pressure, and surplus workers retire after `IdleMs`.

import type { ActorRef } from '../../runtime/index.ts';
import { ActorError } from '../../runtime/actor/errors.ts';
import { defineActor } from '../../runtime/actor/behavior.ts';
import { supervisors } from '../../runtime/supervision/supervision.ts';
import { createRunner, type Runner, type RunnerHost } from './runners/index.ts';
import { reportFailure } from './report-failure.ts';
import { shared, type IoConns, type IoPhase, type IoSetup, type IoStats } from './shared.ts';
import type { ConnMsg, Envelope, IoMsg, Outcome, PoolMsg, QueueMsg, SupMsg, WorkerMsg } from './messages.ts';

export interface WorkerProps {
  io: string;
  name: string;
  /** Started by growth (above Workers.Min): retires after Workers.IdleMs without work. */
  surplus: boolean;
}

/**
 * A worker's failure: `aliveSince` is when its handler instance started (a replaced instance
 * counts as a fresh start), which the quick-death rule measures instead of the actor's uptime.
 */
function workerDied(path: string, reason: string, aliveSince: number): ActorError {
  return new ActorError('worker-died', path, reason, { aliveSince });
}

export const Worker = defineActor<WorkerMsg, WorkerProps>(import.meta.url, 'Worker', (props, ctx) => {
  const s: IoSetup & IoConns & IoStats & Pick<IoPhase, 'draining'> = shared(ctx, props.io);
  const cfg = s.cfg;
  const queue = ctx.refFor<QueueMsg>(`${props.io}/queue`, ctx.thread);
  const pool = ctx.parent as ActorRef<PoolMsg>;
  let startedAt = Date.now();
  let lastWork = startedAt;
  let counted = false;
  let leaving = false;
  let left = false;
  let envs: Envelope[] = [];
  let outs: Outcome[] = [];
  let flushScheduled = false;

  const flush = (): void => {
    flushScheduled = false;
    if (envs.length === 0) return;
    const e = envs;
    const o = outs;
    envs = [];
    outs = [];
    // Group by connection: a connection with one result gets a `reply`, several get `replies`.
    const byConn = new Map<ActorRef<ConnMsg>, number | { seqs: number[]; outs: Outcome[] }>();
    const table = s.table;
    for (let i = 0; i < e.length; i++) {
      const env = e[i];
      const ref = table.route(env.slot, env.gen)?.extra?.ref;
      if (!ref) {
        s.counters.staleReplies++;
        continue;
      }
      const b = byConn.get(ref);
      if (b === undefined) byConn.set(ref, i);
      else if (typeof b === 'number') byConn.set(ref, { seqs: [e[b].seq, env.seq], outs: [o[b], o[i]] });
      else {
        b.seqs.push(env.seq);
        b.outs.push(o[i]);
      }
    }
    for (const [ref, b] of byConn) {
      if (typeof b === 'number') ref.tell({ t: 'reply', seq: e[b].seq, out: o[b] });
      else ref.tell({ t: 'replies', seqs: b.seqs, outs: b.outs });
    }
    queue.tell({ t: 'credit', worker: ctx.self, n: e.length });
    lastWork = Date.now();
    if (left && runner.busy === 0) ctx.stop();
  };

  const host: RunnerHost = {
    log: s.log,
    ready() {
      if (!counted) {
        counted = true;
        s.workers++;
      }
      queue.tell({ t: 'hello', worker: ctx.self, capacity: runner.capacity, busy: runner.busy });
      pool.tell({ t: 'ready', name: props.name });
    },
    startFailed(error) {
      s.log.error('worker cannot start', { worker: props.name, error });
      pool.tell({ t: 'start-failed', name: props.name, error });
      // A failure at the very first start is reported (the dispatcher then refuses to start);
      // after that it is a crash like any other.
      if (ctx.restarts > 0 || props.surplus) ctx.fail(workerDied(ctx.path, error, startedAt));
    },
    done(e, out) {
      if (typeof out !== 'string' && !out.ok && out.code === 'WORKER_FAILED') s.counters.workerFailures++;
      envs.push(e);
      outs.push(out);
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(flush);
      }
    },
    died(reason) {
      flush();
      s.log.warn('worker died', { worker: props.name, reason });
      ctx.fail(workerDied(ctx.path, reason, startedAt));
    },
    replaced(reason) {
      flush();
      s.replacements++;
      s.counters.restarts = s.supervisedRestarts + s.replacements;
      s.log.warn('worker instance replaced', { worker: props.name, reason });
      startedAt = Date.now();
    },
  };
  const runner: Runner = createRunner(cfg, `${cfg.Name}/${props.name}`, host);
  const needsCheck = cfg.Handler.Kind !== 'legacy-tx' && cfg.RequestTimeoutMs > 0;
  const retires = props.surplus && cfg.Workers.IdleMs > 0;

  return {
    started() {
      runner.start();
      // Hangs are found within a quarter of the request timeout (at most 500 ms) after deadline + 1 s.
      const hangCheck = needsCheck ? Math.max(25, Math.min(500, cfg.RequestTimeoutMs / 4)) : 500;
      if (needsCheck || retires) ctx.timers.every('check', Math.max(10, Math.min(hangCheck, retires ? cfg.Workers.IdleMs : 500)), { t: 'check' });
    },
    receive(msg) {
      switch (msg.t) {
        case 'run': {
          lastWork = Date.now();
          for (const e of msg.items) runner.run(e);
          break;
        }
        case 'check': {
          const now = Date.now();
          if (needsCheck) runner.check(now);
          if (retires && !leaving && runner.busy === 0 && now - lastWork >= cfg.Workers.IdleMs) {
            leaving = true;
            s.log.info('surplus worker retires', { worker: props.name, idleMs: now - lastWork });
            queue.tell({ t: 'leave', worker: ctx.self });
          }
          break;
        }
        case 'hello-again':
          if (counted) queue.tell({ t: 'hello', worker: ctx.self, capacity: runner.capacity, busy: runner.busy });
          break;
        case 'left':
          left = true;
          if (runner.busy === 0 && envs.length === 0) ctx.stop();
          break;
      }
    },
    stopped(_ctx, reason) {
      // Outside a drain (a restart of this worker or of the pool), requests in hand fail now
      // rather than at their deadline; never retried.
      if (!s.draining) runner.failAll('the worker stopped');
      flush();
      runner.stop();
      if (counted) {
        counted = false;
        s.workers--;
      }
    },
    inspect() {
      return { kind: cfg.Handler.Kind, capacity: runner.capacity, busy: runner.busy, surplus: props.surplus };
    },
  };
});

export interface PoolProps {
  io: string;
  sup: string;
}

export const WorkerPool = defineActor<PoolMsg, PoolProps>(
  import.meta.url,
  'WorkerPool',
  (props, ctx) => {
    const s: IoSetup & IoStats & Pick<IoPhase, 'draining'> = shared(ctx, props.io);
    const cfg = s.cfg;
    const io = ctx.parent as ActorRef<IoMsg>;
    let next = 0;
    let readyCount = 0;
    let reported = false;
    let growing: string | null = null;
    const spawnWorker = (surplus: boolean): string => {
      const name = `w${next++}`;
      ctx.spawn(Worker, { name, props: { io: props.io, name, surplus } });
      return name;
    };
    return {
      started() {
        for (let i = 0; i < cfg.Workers.Min; i++) spawnWorker(false);
      },
      receive(msg) {
        switch (msg.t) {
          case 'ready':
            if (msg.name === growing) growing = null;
            if (!reported && ++readyCount >= cfg.Workers.Min) {
              reported = true;
              io.tell({ t: 'pool-ready' });
            }
            break;
          case 'start-failed':
            if (msg.name === growing) growing = null;
            if (!reported) {
              reported = true;
              io.tell({ t: 'pool-failed', error: msg.error });
            }
            break;
          case 'rehello':
            for (const w of ctx.children()) w.tell({ t: 'hello-again' } satisfies WorkerMsg);
            break;
          case 'grow':
            if (growing !== null || s.draining || ctx.children().length >= cfg.Workers.Max) return;
            growing = spawnWorker(true);
            s.log.info('worker pool grows', { workers: ctx.children().length, max: cfg.Workers.Max });
            break;
        }
      },
      decide(f) {
        reportFailure(ctx.refFor<SupMsg>(props.sup, -1), f);
        return 'restart';
      },
      inspect() {
        return { workers: s.workers, min: cfg.Workers.Min, max: cfg.Workers.Max };
      },
    };
  },
  { supervisor: supervisors.alwaysRestart({ minMs: 50, maxMs: 2000, jitter: 0.2 }) },
);
