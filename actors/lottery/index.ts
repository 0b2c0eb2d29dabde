// The lottery subsystem (lottery.md): the `lottery` topology section (server tree + agencies as
// actors), its actor modules (preloaded by every worker), and the `lottery …` CLI commands.

import { rmSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ActorSystem, RunEnv, SectionHandle, Subsystem } from '../../runtime/index.ts';
import { AgencyGroup, groupOutcome } from './agencies.ts';
import { parseDuration, splitAddress, type ClientSettings, type ServerSettings } from './config.ts';
import { lotterySchema, type LotteryConfig } from './schema.ts';
import { resolveDataset } from './dataset.ts';
import { startServer } from './server.ts';
import { registerLotteryCommands } from './cli.ts';
import { LOTTERY_MODULES } from './modules.ts';
import { logServerConfig } from './processes.ts';
import { prepareDataDir } from './data-dir.ts';
import { CliError } from '../../runtime/cli/errors.ts';

export { LOTTERY_MODULES };

/** Starts the `lottery` section of a topology: the server tree, then its agencies (if any). */
export async function startLotterySection(system: ActorSystem, config: LotteryConfig, env: RunEnv): Promise<SectionHandle> {
  const rel = (p: string): string => (isAbsolute(p) ? p : resolve(env.dir, p));
  const { resetOnStart: _reset, ...serverConfig } = config.server;
  const settings: ServerSettings = {
    ...serverConfig,
    agencies: config.agencies,
    servers: config.servers,
    dataDir: rel(config.server.dataDir),
    source: config.prefixLines ? 'server' : undefined,
  };
  // An acceptor node keeps nothing (the store lives on the core node): it neither resets nor needs a data folder.
  const keepsData = config.role !== 'acceptor';
  if (keepsData && config.server.resetOnStart) {
    for (const f of ['lottery.sqlite', 'lottery.sqlite-wal', 'lottery.sqlite-shm', 'bets.csv']) rmSync(resolve(settings.dataDir, f), { force: true });
  }
  const problem = keepsData ? prepareDataDir(settings.dataDir, config.server.createDataDir) : null;
  if (problem) throw new CliError(problem, 2);
  logServerConfig(settings);
  const server = config.processes || config.role !== 'server' ? await (await import('./cluster/section.ts')).startClusterSection(system, settings, config, env) : await startServer(system, settings);
  let groupPath: string | null = null;
  if (config.clients.length > 0) {
    const data = resolveDataset(config.data ? rel(config.data) : undefined, config.agencies);
    const clients: ClientSettings[] = config.clients.map((c, i) => {
      const protocol = c.protocol ?? (config.protocol === 'mixed' ? (i % 2 === 0 ? 'A' : 'B') : config.protocol);
      const host = settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host;
      const serverAddress = `${host}:${server.port}`;
      return {
        id: c.id,
        serverAddress,
        ...splitAddress(serverAddress),
        loopAmount: config.loop.amount,
        loopPeriod: config.loop.period,
        loopPeriodMs: parseDuration(config.loop.period),
        logLevel: config.logLevel,
        maxAmount: c.batchMaxAmount ?? config.batch.maxAmount,
        mode: c.mode ?? (settings.mode === 'echo' ? 'echo' : 'batch'),
        protocol,
        file: c.file ? resolve(data.dir, c.file) : resolve(data.dir, `agency-${c.id}.csv`),
        connectRetryMs: 30_000,
        bet: c.bet,
        source: config.prefixLines ? `client${c.id}` : undefined,
      };
    });
    const group = system.spawn(AgencyGroup, { name: 'lottery-agencies', thread: 'main', props: { clients, placement: 'any', progress: 'none' } });
    groupPath = group.path;
    void groupOutcome(group.path).then((o) => {
      env.log.info('agencies done', { codes: o.codes, winners: o.winners });
      if (config.exitWhenDone) env.stop(0, 'the agencies are done');
    });
  }
  return {
    async beforeStop() {
      if (groupPath) {
        system.refFor<{ t: 'terminate' }>(groupPath, -1).tell({ t: 'terminate' });
        await Promise.race([groupOutcome(groupPath), new Promise((r) => setTimeout(r, 3000).unref())]);
      }
      await server.drain(3000);
    },
    describe: () => [
      `lottery: ${settings.mode} server on ${settings.host}:${server.port} (${settings.servers} acceptor ${config.processes ? 'process' : 'thread'}${settings.servers > 1 ? (config.processes ? 'es' : 's') : ''}), AGENCIES=${settings.agencies}, data in ${settings.dataDir}`,
      `lottery: ${config.clients.length} agenc${config.clients.length === 1 ? 'y' : 'ies'} as actors (protocol ${config.protocol})`,
    ],
  };
}

export const lotterySubsystem: Subsystem = {
  name: 'lottery',
  modules: LOTTERY_MODULES,
  sections: [{ key: 'lottery', schema: lotterySchema, start: startLotterySection }],
  commands(program) {
    registerLotteryCommands(program);
  },
};
