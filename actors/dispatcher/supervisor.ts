// `DispatcherSupervisor` (dispatcher.md §1.1, §6, §7): one per dispatcher, on the main thread.
// It holds the instance lock, places the dispatcher's I/O subtree on its own thread, applies the
// quick-death rule to every failure under it, runs the drain, and escalates: when a child dies
// within `QuickDeathMs` of its (re)start, or more than `MaxRestarts` times within `WithinMs`, the
// dispatcher drains and stops and the runtime exits 1 (as the original did).
//
// `Dispatchers` is the parent of all supervisors of one topology section: independent children.

// The kernel's modules, not runtime/index.ts, and the I/O actor by reference, not by import: this
// module runs on the main thread, whose start-up then loads none of the I/O subtree's code
// (listeners, connections, handler runners, xstate), which only the worker threads need.
import { defineActor, type Reply } from '../../runtime/actor/behavior.ts';
import type { ActorRef } from '../../runtime/actor/types.ts';
import { ActorError } from '../../runtime/actor/errors.ts';
import { supervisors } from '../../runtime/supervision/supervision.ts';
import { defRef } from '../../runtime/kernel/def-ref.ts';
import { acquireLock, releaseLock, type LockInfo } from './lock.ts';
import { dispatcherLogger } from './log.ts';
import type { IoProps } from './io.ts';
import type { DispatcherConfig } from './config/index.ts';
import type { IoMsg, SupMsg } from './messages.ts';

/** The dispatcher's I/O actor (io.ts), spawned on its worker thread. */
const DispatcherIo = defRef<IoMsg, IoProps>(new URL('./io.ts', import.meta.url).href, 'DispatcherIo');
import type { Counters } from './shared.ts';

export interface SupervisorProps {
  cfg: DispatcherConfig;
  /** Thread of the I/O subtree. */
  thread: number | 'main';
}

export interface StartFailure {
  exitCode: number;
  error: string;
}

/** A start failure as an ask rejection: the exit code and message travel structured in `data`. */
function startFailed(path: string, f: StartFailure): ActorError {
  return new ActorError('start-failed', path, f.error, f);
}

export const DispatcherSupervisor = defineActor<SupMsg, SupervisorProps>(
  import.meta.url,
  'DispatcherSupervisor',
  (props, ctx) => {
    const cfg = props.cfg;
    const log = dispatcherLogger(cfg.Name, cfg.LogLevel, ctx.path);
    const ioPath = `${ctx.path}/io`;
    let lock: LockInfo | null = null;
    let io: ActorRef<IoMsg> | null = null;
    let upAt = Date.now();
    let phase: 'starting' | 'running' | 'failed' | 'draining' | 'escalating' | 'stopped' = 'starting';
    let failure: StartFailure | null = null;
    let restarts = 0;
    const window: number[] = [];
    const readyWaiters: Reply[] = [];
    const drainWaiters: Reply[] = [];
    /** Asks answered with the reason when the dispatcher escalates (the section then ends the run). */
    const escalationWaiters: Reply[] = [];
    let drainResult: { abandoned: number; open: number } | null = null;
    let escalation: string | null = null;
    /** The I/O subtree's counters as last reported, handed to its next incarnation. */
    let reported: { counters: Counters; replacements: number } | null = null;

    const fail = (f: StartFailure): void => {
      if (phase !== 'starting') return;
      phase = 'failed';
      failure = f;
      log.error('dispatcher cannot start', { error: f.error });
      for (const w of readyWaiters.splice(0)) w.reject(startFailed(ctx.path, f));
      if (io) ctx.stop(io);
    };

    const finishDrain = (r: { abandoned: number; open: number }): void => {
      if (drainResult !== null) return;
      drainResult = r;
      ctx.timers.cancel('drain-timeout');
      // -1: the I/O thread never reported (drain-timeout), so what it abandoned is unknown, not none.
      if (r.abandoned < 0) log.warn('drain timed out: the I/O thread did not report, so the abandoned and still-open counts are unknown');
      else (r.abandoned > 0 || r.open > 0 ? log.warn : log.info)('drain finished', { abandoned: r.abandoned, stillOpen: r.open });
      for (const w of drainWaiters.splice(0)) w.resolve(r);
      if (escalation !== null) {
        for (const w of escalationWaiters.splice(0)) w.resolve(escalation);
        ctx.stop();
      }
    };

    const startDrain = (): void => {
      if (io === null || phase === 'failed') {
        finishDrain({ abandoned: 0, open: 0 });
        return;
      }
      io.tell({ t: 'drain' });
      ctx.timers.once('drain-timeout', cfg.StopTimeout * 1000 + 1500, { t: 'drain-timeout' });
    };

    const onDeath = (path: string, aliveMs: number, reason: string): void => {
      if (phase === 'stopped' || phase === 'failed' || escalation !== null) return;
      if (phase === 'starting') {
        fail({ exitCode: 1, error: `${cfg.Name}: ${path} failed while starting: ${reason}` });
        return;
      }
      const { QuickDeathMs, MaxRestarts, WithinMs } = cfg.Restart;
      const now = Date.now();
      window.push(now);
      while (window.length > 0 && now - window[0] >= WithinMs) window.shift();
      let why: string | null = null;
      if (aliveMs < QuickDeathMs) why = `quick death: ${path} died ${aliveMs} ms after its start (QuickDeathMs ${QuickDeathMs}): ${reason}`;
      else if (window.length > MaxRestarts) why = `${path} failed: more than ${MaxRestarts} restarts within ${WithinMs} ms: ${reason}`;
      if (why === null) {
        restarts++;
        log.warn('restarting after a failure', { child: path, aliveMs, reason, restarts });
        io?.tell({ t: 'restarts', n: restarts });
        return;
      }
      escalation = why;
      const wasDraining = phase === 'draining';
      phase = 'escalating';
      log.error('escalating: the dispatcher drains and stops', { reason: why });
      if (!wasDraining) startDrain();
    };

    return {
      started() {
        for (const w of cfg.warnings) log.warn(w);
        for (const n of cfg.notes) log.debug(n);
        const r = acquireLock(cfg.LockFile, { ip: cfg.IP, port: cfg.Port, name: cfg.Name }, { createFolder: cfg.CreateLockFolder });
        if (!r.ok) {
          fail({ exitCode: r.exitCode, error: r.message });
          return;
        }
        lock = r.info;
        io = ctx.spawn(DispatcherIo, { name: 'io', props: { cfg, sup: ctx.path }, thread: props.thread });
      },
      receive(msg) {
        switch (msg.t) {
          case 'up':
            io = msg.io;
            upAt = Date.now();
            ctx.watch(msg.io);
            if (restarts > 0) msg.io.tell({ t: 'restarts', n: restarts });
            if (reported) msg.io.tell({ t: 'carry', ...reported });
            if (phase === 'draining' || phase === 'escalating') msg.io.tell({ t: 'drain' });
            break;
          case 'ready':
            if (phase !== 'starting') return;
            phase = 'running';
            log.info('dispatcher ready', { address: msg.address });
            for (const w of readyWaiters.splice(0)) w.resolve(msg.address);
            break;
          case 'start-failed':
            fail({ exitCode: msg.exitCode, error: msg.error });
            break;
          case 'await-ready': {
            if (phase === 'failed' && failure !== null) ctx.replyError(startFailed(ctx.path, failure));
            else if (phase !== 'starting') ctx.reply(`${cfg.IP}:${cfg.Port}`);
            else {
              const r = ctx.deferReply();
              if (r) readyWaiters.push(r);
            }
            break;
          }
          case 'await-escalation': {
            const r = ctx.deferReply();
            if (r) escalationWaiters.push(r);
            break;
          }
          case 'died':
            onDeath(msg.path, msg.aliveMs, msg.reason);
            break;
          case 'drain': {
            const r = ctx.deferReply();
            if (drainResult !== null) {
              r?.resolve(drainResult);
              break;
            }
            if (r) drainWaiters.push(r);
            if (phase === 'draining' || phase === 'escalating') break;
            phase = 'draining';
            startDrain();
            break;
          }
          case 'drained':
            finishDrain({ abandoned: msg.abandoned, open: msg.open });
            break;
          case 'drain-timeout':
            finishDrain({ abandoned: -1, open: -1 });
            break;
          case 'counters':
            reported = { counters: msg.counters, replacements: msg.replacements };
            break;
        }
      },
      terminated({ ref, reason }) {
        // The I/O subtree is gone without a stop: its thread died (the kernel respawns it).
        if (ref.path !== ioPath || typeof reason !== 'object') return;
        onDeath(ref.path, Date.now() - upAt, reason.error);
      },
      stopped() {
        phase = 'stopped';
        for (const w of readyWaiters.splice(0)) w.reject(startFailed(ctx.path, { exitCode: 1, error: `${cfg.Name} stopped while starting` }));
        for (const w of drainWaiters.splice(0)) w.resolve({ abandoned: 0, open: 0 });
        if (lock) releaseLock(cfg.LockFile, lock);
        lock = null;
      },
      inspect() {
        // `reported`: what the next incarnation of the I/O subtree would continue from.
        const carried = reported === null ? null : { accepted: reported.counters.accepted, replies: reported.counters.replies };
        return { dispatcher: cfg.Name, phase, restarts, lock: cfg.LockFile, escalation, failure: failure?.error ?? null, reported: carried };
      },
    };
  },
  // The I/O actor is restarted by the kernel (also when its thread dies); whether that is allowed
  // is decided by the quick-death rule above.
  { supervisor: supervisors.alwaysRestart({ minMs: 50, maxMs: 1000, jitter: 0.2 }) },
);

/** Parent of one section's dispatchers (main thread): one supervisor per dispatcher, independent. */
export const DispatchersSection = defineActor<never, { list: { cfg: DispatcherConfig; thread: number | 'main' }[] }>(
  import.meta.url,
  'DispatchersSection',
  (props, ctx) => ({
    started() {
      for (const { cfg, thread } of props.list) ctx.spawn(DispatcherSupervisor, { name: cfg.Name, props: { cfg, thread } });
    },
    receive() {},
  }),
  { supervisor: supervisors.alwaysRestart({ minMs: 100, maxMs: 2000, jitter: 0.2 }) },
);
