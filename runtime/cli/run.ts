// `actor-runtime run <topology>`: load and validate the file, start the system and its sections,
// expose the control socket, and stop gracefully on SIGINT/SIGTERM (children first, stop hooks run).

import type { Command } from 'commander';
import { ActorSystem } from '../system.ts';
import { loadTopology, TopologyError, type Topology } from '../topology.ts';
import { registeredSubsystems, type SectionHandle } from '../subsystem.ts';
import { startControlServer, type ControlServer } from '../control.ts';
import { loggerFor } from '../log.ts';
import { CliError } from './errors.ts';

export interface RunOptions {
  for?: string;
  control?: string | boolean;
  threads?: string;
  stopTimeout?: string;
}

export interface RunningSystem {
  system: ActorSystem;
  topology: Topology;
  control: ControlServer | null;
  /** Resolves when the system has stopped; the value is the exit code. */
  done: Promise<number>;
  shutdown(why: string): Promise<number>;
}

export async function startFromTopology(file: string, o: RunOptions = {}): Promise<RunningSystem> {
  let topology: Topology;
  try {
    topology = loadTopology(file);
  } catch (err) {
    if (err instanceof TopologyError) throw new CliError(err.message, 2);
    throw err;
  }
  const k = topology.kernel;
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
    preload: registeredSubsystems().flatMap((s) => s.modules ?? []),
    node: k.nodes,
    baseDir: topology.dir,
  }).catch((err: Error) => {
    throw k.nodes ? new CliError(`cannot start node ${k.nodes.name}: ${err.message}`, 1) : err;
  });
  const handles: SectionHandle[] = [];
  let control: ControlServer | null = null;

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
      await system.stop(stopTimeout);
      await control?.close();
      log.info('stopped', { why, exitCode });
      resolveDone(exitCode);
      return exitCode;
    })();
    return stopping;
  };
  const fail = (code: number, reason: string): void => {
    exitCode = Math.max(exitCode, code);
    log.error('a section stops the runtime', { code, reason });
    void shutdown(reason);
  };

  const controlOpt = o.control ?? k.control ?? true;
  if (controlOpt !== false) control = await startControlServer(system, typeof controlOpt === 'string' ? controlOpt : undefined);
  try {
    for (const { section, config } of topology.sections) {
      const h = await section.start(system, config, { file: topology.file, dir: topology.dir, log: loggerFor(section.key), fail });
      if (h) handles.push(h);
    }
  } catch (err) {
    await system.stop(2000);
    await control?.close();
    // A section may name the exit code (e.g. the dispatcher: 2 configuration, 3 lock held / address in use).
    throw new CliError(`cannot start ${file}: ${(err as Error).message}`, (err as { exitCode?: number }).exitCode ?? 1);
  }
  started = true;
  log.info('system running', {
    name: system.name,
    threads: system.threads,
    sections: topology.sections.map((s) => s.section.key),
    adoptedFrom: topology.adoptedBy,
    control: control?.path,
    details: handles.flatMap((h) => h.describe?.() ?? []),
  });
  if (stopWhenStarted !== null) void shutdown(stopWhenStarted);
  if (seconds !== undefined) setTimeout(() => void shutdown(`ran for ${seconds}s`), seconds * 1000).unref();
  return { system, topology, control, done, shutdown };
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('start a system from a topology file (JSON or YAML; the original dispatcher config.json also loads)')
    .argument('<topology>', 'topology file')
    .option('--for <seconds>', 'stop by itself after this many seconds')
    .option('--threads <n>', 'worker threads (overrides the file; default one per core)')
    .option('--control <path>', 'control socket path for inspect/top')
    .option('--no-control', 'do not open a control socket')
    .option('--stop-timeout <ms>', 'graceful stop deadline before threads are terminated', '10000')
    .action(async (file: string, opts: RunOptions) => {
      // Handlers first: a signal during start-up stops the system as soon as it is up.
      let running: RunningSystem | null = null;
      let early: NodeJS.Signals | null = null;
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals): void => {
        if (++signals > 1) {
          process.stderr.write(`second ${sig}: exiting at once\n`);
          process.exit(130);
        }
        if (running) void running.shutdown(sig);
        else early = sig;
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        running = await startFromTopology(file, opts);
      } catch (err) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        throw err;
      }
      if (early) void running.shutdown(early);
      const code = await running.done;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.exitCode = code;
    });
}
