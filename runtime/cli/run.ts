// `actor-runtime run <topology>`: load and validate the file, start the system and its sections,
// expose the control socket, and stop gracefully on SIGINT/SIGTERM (children first, stop hooks run).

import { flushCompileCache } from 'node:module';
import type { ActorSystem } from '../kernel/system.ts';
import type { SectionHandle } from '../kernel/subsystem.ts';
import { planRun, type RunPlan } from './run-plan.ts';
import type { ControlServer } from '../inspection/control.ts';
import { onSignal } from '../io/signals.ts';
import { CliError } from './errors.ts';
import type { ViewServer } from '../view/index.ts';
import { discardPrestarted, prestartWorkers } from '../threads/prestart.ts';
import { takeEarlyPrestart, threadsHint } from './run-early.ts';

export interface RunOptions {
  for?: string;
  control?: string | boolean;
  threads?: string;
  stopTimeout?: string;
  /** `--view [host:]port`: serve the live web page. */
  view?: string;
  viewSecretFile?: string;
}

export interface RunningSystem {
  system: ActorSystem;
  /** What was started: the topology's kernel settings and sections (validated, or from the cache). */
  topology: RunPlan;
  control: ControlServer | null;
  view: ViewServer | null;
  /** Resolves when the system has stopped; the value is the exit code. */
  done: Promise<number>;
  shutdown(why: string): Promise<number>;
}

export async function startFromTopology(file: string, o: RunOptions = {}): Promise<RunningSystem> {
  // The worker threads boot while this thread reads and validates the file (a wrong guess of
  // their number costs a thread started or terminated later, nothing else).
  // (Unless the command line started them already, before parsing: run-early.ts.)
  if (!takeEarlyPrestart()) prestartWorkers(threadsHint(file, o.threads));
  try {
    return await startSystem(file, o);
  } finally {
    discardPrestarted(); // a failed start must not leave waiting threads
  }
}

async function startSystem(file: string, o: RunOptions): Promise<RunningSystem> {
  // Imported here, not at the top: `actor-runtime --help` and the one-shot tools never need them.
  const [plan, { ActorSystem }, { startControlServer }, { loggerFor }] = await Promise.all([
    planRun(file),
    import('../kernel/system.ts'),
    import('../inspection/control.ts'),
    import('../log/log.ts'),
  ]);
  const k = plan.kernel;
  const log = loggerFor('run');
  const seconds = o.for !== undefined ? Number(o.for) : k.runForSeconds;
  if (seconds !== undefined && !(seconds > 0)) throw new CliError(`--for expects a positive number of seconds, found ${o.for}`, 2);
  const threads = o.threads !== undefined ? Number(o.threads) : k.threads;
  const system = await ActorSystem.start({
    name: k.name ?? 'actor-runtime',
    threads,
    logLevel: k.logLevel,
    supervisor: k.supervisor,
    placement: k.placement,
    // Worker threads import the actor modules of the subsystems this topology uses, not all of them.
    preload: plan.modules,
    node: k.nodes,
    baseDir: plan.dir,
  }).catch((err: Error) => {
    throw k.nodes ? new CliError(`cannot start node ${k.nodes.name}: ${err.message}`, 1) : err;
  });
  const handles: SectionHandle[] = [];
  let control: ControlServer | null = null;
  let view: ViewServer | null = null;

  // Shutdown exists before any section starts: a section may fail the run while starting.
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let stopping: Promise<number> | null = null;
  let exitCode = 0;
  let started = false;
  let stopWhenStarted: string | null = null;
  const stopTimeout = Number(o.stopTimeout ?? 10_000);
  const shutdown = (why: string): Promise<number> => {
    if (!started) {
      stopWhenStarted ??= why;
      return done;
    }
    stopping ??= (async () => {
      log.info('stopping', { why });
      for (const h of handles) await h.beforeStop?.().catch((err) => log.error('section stop failed', { error: String(err) }));
      await view?.close();
      await system.stop(stopTimeout);
      // An attached client (an `inspect --events` follower) must not hold the exit.
      await boundedClose(control);
      log.info('stopped', { why, exitCode });
      resolveDone(exitCode);
      return exitCode;
    })();
    return stopping;
  };
  const stop = (code: number, reason: string): void => {
    exitCode = Math.max(exitCode, code);
    (code === 0 ? log.info : log.error)('a section stops the runtime', { code, reason });
    void shutdown(reason);
  };

  const controlOpt = o.control ?? k.control ?? true;
  if (controlOpt !== false) control = await startControlServer(system, typeof controlOpt === 'string' ? controlOpt : undefined);
  const viewSetting = o.view ?? k.view;
  if (viewSetting !== undefined) {
    try {
      const { serveView } = await import('./view.ts'); // only when a page is asked for
      view = await serveView(system, viewSetting, o.viewSecretFile, plan.dir);
    } catch (err) {
      await system.stop(2000);
      await control?.close();
      throw err;
    }
  }
  try {
    for (const { key, start, config } of plan.sections) {
      const h = await start(system, config, { file: plan.file, dir: plan.dir, log: loggerFor(key), stop, fail: stop });
      if (h) handles.push(h);
    }
  } catch (err) {
    await view?.close();
    await system.stop(2000);
    await control?.close();
    // A section may name the exit code (e.g. the dispatcher: 2 configuration, 3 lock held / address in use).
    throw new CliError(`cannot start ${file}: ${(err as Error).message}`, (err as { exitCode?: number }).exitCode ?? 1);
  }
  started = true;
  // The modules compiled for this start reach the cache now, not at exit: a server is often ended
  // by kill -9, and its next start should still find them.
  flushCompileCache();
  log.info('system running', {
    name: system.name,
    threads: system.threads,
    sections: plan.sections.map((s) => s.key),
    adoptedFrom: plan.adoptedBy,
    control: control?.path,
    view: view?.url,
    details: handles.flatMap((h) => h.describe?.() ?? []),
  });
  if (stopWhenStarted !== null) void shutdown(stopWhenStarted);
  if (seconds !== undefined) setTimeout(() => void shutdown(`ran for ${seconds}s`), seconds * 1000).unref();
  return { system, topology: plan, control, view, done, shutdown };
}

/** How long closing the control socket may take before the run ends anyway. */
const CONTROL_CLOSE_MS = 500;
/** After the stop, anything still keeping the process alive (an attached socket) gets this long. */
const EXIT_GRACE_MS = 1000;

async function boundedClose(control: ControlServer | null): Promise<void> {
  if (control === null) return;
  let t: NodeJS.Timeout | undefined;
  await Promise.race([control.close().catch(() => {}), new Promise<void>((r) => (t = setTimeout(r, CONTROL_CLOSE_MS)))]);
  clearTimeout(t);
}

/** The `run` command's work (its definition is in commands.ts). */
export async function runCommand(file: string, opts: RunOptions): Promise<void> {
  // Handlers first: a signal during start-up stops the system as soon as it is up.
  let running: RunningSystem | null = null;
  let early: NodeJS.Signals | null = null;
  let signals = 0;
  const onStopSignal = (sig: NodeJS.Signals): void => {
    if (++signals > 1) {
      process.stderr.write(`second ${sig}: exiting at once\n`);
      process.exit(130);
    }
    if (running) void running.shutdown(sig);
    else early = sig;
  };
  const offSignals = onSignal(['SIGINT', 'SIGTERM'], onStopSignal);
  try {
    running = await startFromTopology(file, opts);
  } catch (err) {
    offSignals();
    throw err;
  }
  if (early) void running.shutdown(early);
  const code = await running.done;
  offSignals();
  process.exitCode = code;
  // The system has stopped: whatever still holds the event loop (a client attached to the
  // control socket, a socket not yet closed) does not delay the exit beyond the grace.
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}
