// Starting a `dispatchers` section from its resolved configurations: what the main thread needs to
// run a topology whose validation was cached (runtime/kernel/topology-cache.ts), so it imports no
// schema, no resolver and no zod (types only from config/). The section's schema and resolution
// are in index.ts and config/.

import { CliError } from '../../runtime/cli/errors.ts';
// Kernel modules directly (not runtime/index.ts, runtime/io/index.ts): the main thread's start-up
// loads only what the section needs there (see supervisor.ts).
import type { ActorRef, ActorSystem, RunEnv, SectionHandle } from '../../runtime/index.ts';
import type { SectionStart } from '../../runtime/kernel/subsystem.ts';
import { ActorError } from '../../runtime/actor/errors.ts';
import { onSignal } from '../../runtime/io/signals.ts';
import type { DispatcherConfig } from './config/types.ts';
import { DispatchersSection, type StartFailure } from './supervisor.ts';
import type { SupMsg } from './messages.ts';

let sections = 0;

export interface DispatcherEnv extends Omit<RunEnv, 'stop' | 'fail'> {
  /** Ends the run (an escalation: 1; SIGUSR1: 0). Without it (tests, benchmarks) the section stops its own actors. */
  stop?(exitCode: number, reason: string): void;
}

export interface DispatcherSection extends SectionHandle {
  readonly path: string;
  readonly configs: DispatcherConfig[];
  supervisor(name: string): ActorRef<SupMsg>;
}

/** Starts every dispatcher of a section (resolved: actors/dispatcher/index.ts resolveSection) and waits until each listens (or one fails to start). */
export async function startResolvedDispatchers(system: ActorSystem, cfgs: DispatcherConfig[], env: DispatcherEnv): Promise<DispatcherSection> {
  const name = sections++ === 0 ? 'dispatchers' : `dispatchers-${sections}`;
  const path = `/${name}`;
  const threads = system.threads;
  const list = cfgs.map((cfg, i) => ({ cfg, thread: threads > 0 ? i % threads : ('main' as const) }));
  const refs = cfgs.map((c) => system.refFor<SupMsg>(`${path}/${c.Name}`, -1));

  let stopping = false;
  const endRun = (code: number, reason: string): void => {
    if (env.stop) return env.stop(code, reason);
    if (code !== 0) {
      process.exitCode = code;
      process.once('exit', () => {
        process.exitCode = code;
      });
    }
    void handle.beforeStop!().then(() => system.stop());
  };
  // A dispatcher that gives up has drained and stopped by now; the runtime follows only when its
  // configuration asks (Restart.OnGiveUp: stop-runtime), so one failing handler cuts no one else.
  const onFatal = (cfg: DispatcherConfig, reason: string): void => {
    if (cfg.Restart.OnGiveUp === 'stop-runtime') {
      env.log.error('dispatcher escalated; the runtime stops with exit code 1', { dispatcher: cfg.Name, reason });
      endRun(1, `${cfg.Name}: ${reason}`);
    } else env.log.error('dispatcher escalated and stopped; the rest of the runtime continues', { dispatcher: cfg.Name, reason });
  };
  // SIGUSR1 starts a graceful drain like SIGTERM (§6.1).
  const offUsr1 = onSignal('SIGUSR1', () => endRun(0, 'SIGUSR1'));

  const handle: DispatcherSection = {
    path,
    configs: cfgs,
    supervisor: (n) => system.refFor<SupMsg>(`${path}/${n}`, -1),
    async beforeStop() {
      if (stopping) return;
      stopping = true;
      offUsr1();
      await Promise.all(
        refs.map((r, i) => r.ask({ t: 'drain' }, { timeoutMs: cfgs[i].StopTimeout * 1000 + 3000 }).catch(() => null)),
      );
    },
    describe() {
      return cfgs.map((c) => {
        const h = c.Handler;
        const what = h.Kind === 'module' ? `module ${h.Module}` : h.Kind === 'process' ? `process ${h.Command}` : `legacy-tx (${h.ServiceDelayMs} ms)`;
        return `dispatcher ${c.Name} on ${c.IP}:${c.Port}: ${c.Framing}/${c.Protocol}, ${what}, workers ${c.Workers.Min}..${c.Workers.Max}, ${c.NumThreads} groups, max ${c.MaxConnections} connections`;
      });
    },
  };

  const top = system.spawn(DispatchersSection, { name, props: { list }, thread: 'main' });
  // Answered only if the dispatcher escalates; a supervisor that stops rejects it (ignored).
  refs.forEach((r, i) => r.ask<string>({ t: 'await-escalation' }, { timeoutMs: Infinity }).then((reason) => onFatal(cfgs[i], reason), () => {}));
  const results = await Promise.allSettled(refs.map((r) => r.ask<string>({ t: 'await-ready' }, { timeoutMs: 60_000 })));
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [parseFailure(r.reason, cfgs[i].Name)] : []));
  if (failures.length > 0) {
    offUsr1();
    await system.stopActor(top);
    throw new CliError(failures.map((f) => f.error).join('; '), Math.max(...failures.map((f) => f.exitCode)));
  }
  return handle;
}

/** The structured failure a supervisor rejected `await-ready` with, or the error as text (exit 1). */
function parseFailure(reason: unknown, name: string): StartFailure {
  if (reason instanceof ActorError && reason.code === 'start-failed') return reason.data as StartFailure;
  return { exitCode: 1, error: `${name}: ${reason instanceof Error ? reason.message : String(reason)}` };
}

/** The section's start by key, for a run from a cached topology (bin/subsystems.ts). */
export const dispatcherStarters: Record<string, SectionStart> = { dispatchers: startResolvedDispatchers };
