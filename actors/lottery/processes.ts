// The standalone processes: `lottery server` (upstream server/config.ini + environment) and
// `lottery agency` (upstream client/config.yaml + CLI_* environment, or flags), each with the
// graceful SIGTERM of Ex4: close every resource, log each closure, exit 0.

// Each process imports only its own side (the agency never loads the server, nor the server the
// agency): the kernel and the actors are imported once the command line has been read.
import net from 'node:net';
import type { ProgressMode } from './agencies.ts';
import { clientSettingsFromUpstream, serverSettingsFromUpstream, splitAddress, type ClientCliOptions, type ClientSettings, type ServerCliOptions, type ServerSettings } from './config.ts';
import { LOTTERY_SERVER_MODULES } from './modules.ts';
import { setThreadSink, Tp0Log, writeAllSync } from './tp0log.ts';
import { BlockOutput } from './block-output.ts';

export function logServerConfig(s: ServerSettings): void {
  new Tp0Log({ level: s.loggingLevel, source: s.source }).info('config', 'success', {
    port: s.port,
    listen_backlog: s.listenBacklog,
    logging_level: s.loggingLevel,
  });
}

function die(message: string, code = 2): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

/** Kernel noise (pino JSON) goes to stderr; keep it quiet in child processes unless asked. */
function kernelLogLevel(): string {
  return process.env.LOG_LEVEL ?? 'warn';
}

/**
 * Worker threads of a server process: none for one acceptor (the whole server on the main thread:
 * no worker to start before it listens, no hop between threads on the data path); K for K.
 */
export function serverThreads(servers: number): number {
  return servers > 1 ? servers : 0;
}

/** A stored batch's line: the only one that may wait to be written (batchLinesInBlocks). */
const BATCH_LINE = 'action: apuesta_recibida | result: success';

/**
 * `lottery run`'s server (its lines prefixed, LOTTERY_LOG_SOURCE) writes to the launcher's pipe in
 * blocks (block-output.ts), as the launcher writes its own stdout: a stored batch's line waits up
 * to 10 ms for the next ones, and any other line is written at once with those waiting before it,
 * so the order of the stream is kept and the `sorteo` line never waits. One write per batch cost
 * this thread ~35 µs (~19 ms of a run on the official data) and woke the launcher each time. A
 * kill -9 loses at most the last 10 ms of batch lines, never a line of a batch not stored; the
 * standalone `lottery server` keeps one write per line.
 */
function batchLinesInBlocks(): void {
  const out = new BlockOutput(1);
  setThreadSink((line) => (line.includes(BATCH_LINE) ? out.write(line) : out.writeNow(line)));
  process.on('exit', () => out.flush());
}

export async function runServerProcess(o: ServerCliOptions): Promise<void> {
  let settings: ServerSettings;
  try {
    settings = serverSettingsFromUpstream(o);
    // `lottery run` has the server prefix its own lines (`server | `), so it forwards them unread.
    if (process.env.LOTTERY_LOG_SOURCE) settings = { ...settings, source: process.env.LOTTERY_LOG_SOURCE };
    // This process ends with process.exit right after its stop: no checkpoint of the (synced) WAL on the way out.
    settings = { ...settings, exitsAfterStop: true };
  } catch (err) {
    die((err as Error).message);
  }
  const { prepareDataDir } = await import('./data-dir.ts');
  const problem = prepareDataDir(settings.dataDir, settings.createDataDir === true);
  if (problem) die(problem);
  if (settings.source !== undefined) batchLinesInBlocks();
  const log = new Tp0Log({ level: settings.loggingLevel, source: settings.source });
  // Signals are handled from the first moment: a SIGTERM during start-up waits for it, then stops.
  let stopRequested: string | null = null;
  let stopNow: ((sig: string) => void) | null = null;
  const onSignal = (sig: string): void => {
    if (stopNow) stopNow(sig);
    else stopRequested ??= sig;
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('disconnect', () => onSignal('disconnect'));
  logServerConfig(settings);
  // One acceptor runs on the main thread (no worker thread to boot: ~90 ms of CPU each); with more,
  // the worker threads boot first (runtime/threads/prestart.ts) while this thread imports server.ts.
  const threads = serverThreads(settings.servers);
  (await import('../../runtime/threads/prestart.ts')).prestartWorkers(threads);
  const starting = import('../../runtime/kernel/system.ts').then(({ ActorSystem }) => ActorSystem.start({ name: 'lottery-server', threads, preload: LOTTERY_SERVER_MODULES, logLevel: kernelLogLevel() }));
  const [system, { startServer }] = await Promise.all([starting, import('./server.ts')]);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(system, settings);
  } catch (err) {
    await system.stop(2000);
    die(`cannot start the server: ${(err as Error).message}`, 1);
  }
  let stopping = false;
  stopNow = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    system.log.info('signal', { sig });
    void (async () => {
      // Ex4: well inside a 5 s grace period: the drain and the stop share a 4.5 s budget.
      const t0 = Date.now();
      await server.drain(2500);
      await system.stop(Math.max(500, 4500 - (Date.now() - t0)));
      log.info('stop_threads', 'success', { threads: settings.servers });
      log.info('shutdown', 'success');
      process.exit(0);
    })();
  };
  if (stopRequested) stopNow(stopRequested);
  else process.send?.({ t: 'ready', port: server.port });
  // node:crypto (the batch digests, betstore.ts) loads now, while the first agencies connect,
  // rather than on the way to listening (~2 ms of the start).
  setImmediate(() => process.getBuiltinModule('node:crypto'));
  // Compiled modules cached now, not at an exit kill -9 skips. Node's modules are taken, not
  // imported, here and below: the bundled server runs without a dynamic import() (server-bundle.ts).
  (process.getBuiltinModule('node:module') as typeof import('node:module')).flushCompileCache();
}

/**
 * `lottery run` starts its agencies in one shared process: LOTTERY_AGENCIES holds each agency's
 * options (the flags of `lottery agency`); each agency's TP0 lines carry its `clientN | ` prefix
 * and its outcome is told over IPC, so the launcher still writes one exit line per agency.
 */
function sharedAgencies(o: ClientCliOptions): ClientSettings[] | null {
  const list = process.env.LOTTERY_AGENCIES;
  if (!list) return null;
  const env = { ...process.env };
  delete env.LOTTERY_AGENCIES;
  return (JSON.parse(list) as ClientCliOptions[]).map((c) => ({ ...clientSettingsFromUpstream({ ...o, ...c }, { ...env, CLI_ID: c.id }), source: `client${c.id}` }));
}

export async function runAgencyProcess(o: ClientCliOptions): Promise<void> {
  let clients: ClientSettings[];
  const shared = process.env.LOTTERY_AGENCIES !== undefined;
  try {
    clients = sharedAgencies(o) ?? [clientSettingsFromUpstream(o)];
  } catch (err) {
    die((err as Error).message);
  }
  const settings = clients[0];
  // Under `lottery run`, progress goes over IPC only when the launcher shows bars (LOTTERY_PROGRESS):
  // one message per batch costs the agency process more CPU than the batch's own encoding.
  const progress: ProgressMode = process.send
    ? process.env.LOTTERY_PROGRESS === 'none'
      ? 'none'
      : 'ipc'
    : process.stderr.isTTY && process.stdout.isTTY
      ? 'bar'
      : 'none';
  // Signals are handled from the first moment (a SIGTERM during start-up is kept for the agency).
  let terminate: (() => void) | null = null;
  let early = false;
  const onSignal = (): void => {
    if (terminate) terminate();
    else early = true;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Started by `lottery run` before its server listens: the agency waits at a gate for the go (or
  // a signal, or the parent's end). The gate listens before `ready` is sent, so no go is missed.
  let gate: Promise<void> | null = null;
  if (process.env.LOTTERY_AGENCY_GATE === 'ipc' && process.send && process.connected) {
    gate = new Promise<void>((resolve) => {
      const stop = (): void => {
        early = true; // the agency stops as soon as it starts
        resolve();
      };
      terminate = stop;
      if (early) stop();
      process.on('message', (m: { t?: string }) => m?.t === 'go' && resolve());
      process.once('disconnect', stop);
    });
  }
  // A parent may signal from now on. (A parent that already closed the channel is no error.)
  if (process.connected) process.send?.({ t: 'ready' }, undefined, {}, () => {});
  const [{ ActorSystem }, { AgencyGroup, groupOutcome }] = await Promise.all([import('../../runtime/kernel/system.ts'), import('./agencies.ts')]);
  const system = await ActorSystem.start({ name: clients.length === 1 ? `agency-${settings.id}` : 'agencies', threads: 0, logLevel: kernelLogLevel() });
  if (gate) {
    await gate;
    terminate = null;
  }
  const group = system.spawn(AgencyGroup, { name: 'agencies', thread: 'main', props: { clients, placement: 'main', progress, exitLines: shared } });
  terminate = () => group.tell({ t: 'terminate' });
  if (early) terminate();
  // Once the agency is under way its modules are compiled: cache them now, as run and the server
  // do, so the next start is warm even when this one ends by kill -9 (which skips the exit's write).
  const { flushCompileCache } = process.getBuiltinModule('node:module') as typeof import('node:module');
  setTimeout(() => flushCompileCache(), 100).unref();
  const outcome = await groupOutcome(group.path);
  await system.stop(3000);
  process.exit(outcome.code);
}

/** Ex3: one line, `action: test_echo_server | result: success|fail`, exit 0 or 1. */
export async function echoCheck(o: { server?: string; timeoutMs?: string }): Promise<void> {
  const address = o.server ?? process.env.SERVER_ADDRESS ?? '127.0.0.1:12345';
  const timeoutMs = Number(o.timeoutMs ?? 5000);
  const { randomBytes } = process.getBuiltinModule('node:crypto') as typeof import('node:crypto'); // only echo-check uses it (agency start-up)
  const message = `echo-check ${randomBytes(6).toString('hex')} N°1`;
  const ok = await new Promise<boolean>((resolve) => {
    let host: string;
    let port: number;
    try {
      ({ host, port } = splitAddress(address));
    } catch {
      resolve(false);
      return;
    }
    let got = '';
    const s = net.connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
    s.on('connect', () => s.write(`${message}\n`));
    s.on('data', (c: Buffer) => {
      got += c.toString('utf8');
      const nl = got.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        s.destroy();
        resolve(got.slice(0, nl) === message);
      }
    });
    s.on('error', () => {
      clearTimeout(t);
      resolve(false);
    });
    s.on('close', () => {
      clearTimeout(t);
      resolve(got.replace(/\n$/, '') === message);
    });
  });
  writeAllSync(1, `action: test_echo_server | result: ${ok ? 'success' : 'fail'}\n`);
  process.exit(ok ? 0 : 1);
}
