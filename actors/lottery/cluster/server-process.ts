// `lottery server --servers K --processes`: this process is the core node (BetStore,
// DrawCoordinator, the acceptor processes' supervisor); K acceptor processes accept the agencies.
// The same life as the one-process server: config line, `ready` over IPC once every acceptor
// listens, and on SIGTERM/SIGINT (or the parent leaving) a graceful stop with exit 0: the
// acceptor processes drain first (their store exchanges in flight finish against the core), then
// the store closes (`close_store`), then `stop_threads` and `shutdown`.

import { serverSettingsFromUpstream, type ServerCliOptions, type ServerSettings } from '../config.ts';
import { logServerConfig } from '../processes.ts';
import { Tp0Log } from '../tp0log.ts';
import { coreNodeConfig, startCluster, withClusterSecret } from './core.ts';

function die(message: string, code = 2): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

export async function runClusterServerProcess(o: ServerCliOptions): Promise<void> {
  let settings: ServerSettings;
  try {
    settings = serverSettingsFromUpstream(o);
  } catch (err) {
    die((err as Error).message);
  }
  if (settings.mode === 'echo') die('--processes serves the lottery (SERVER_MODE lottery or bet), not the echo mode');
  // The same data folder rule as the one-process server (data-dir.ts): no folder chain made unasked.
  const { prepareDataDir } = await import('../data-dir.ts');
  const problem = prepareDataDir(settings.dataDir, settings.createDataDir === true);
  if (problem) die(problem);
  const log = new Tp0Log({ level: settings.loggingLevel });
  let stopRequested = false;
  let stopNow: (() => void) | null = null;
  const onSignal = (): void => {
    if (stopNow) stopNow();
    else stopRequested = true;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('disconnect', onSignal);
  logServerConfig(settings);
  const { ActorSystem } = await import('../../../runtime/kernel/system.ts');
  const { secret, value: system } = await withClusterSecret(() =>
    ActorSystem.start({ name: 'lottery-server', threads: 0, logLevel: process.env.LOG_LEVEL ?? 'warn', node: coreNodeConfig() }),
  ).catch((err: Error) => die(`cannot start the core node: ${err.message}`, 1));
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  try {
    cluster = await startCluster(system, settings, secret);
  } catch (err) {
    await system.stop(2000);
    die(`cannot start the server: ${(err as Error).message}`, 1);
  }
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      // Ex4: well inside a 5 s grace period: the acceptors' drain and the core's stop share 4.5 s.
      const t0 = Date.now();
      await cluster.drain(2500);
      await system.stop(Math.max(500, 4500 - (Date.now() - t0)));
      log.info('stop_threads', 'success', { processes: settings.servers });
      log.info('shutdown', 'success');
      process.exit(code);
    })();
  };
  stopNow = () => stop(0);
  void cluster.gaveUp.then((why) => {
    process.stderr.write(`error: lottery server: ${why}\n`);
    stop(1);
  });
  if (stopRequested) stopNow();
  else process.send?.({ t: 'ready', port: cluster.port });
}
