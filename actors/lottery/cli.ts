// `actor-runtime lottery …`: server, agency, run, topology, echo-check, generate-data, check-log.

// A light module (commander types only): each action imports what it uses, so `--help` and the
// other commands load none of the lottery.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ServerCliOptions } from './config.ts';
import type { RunAllOptions } from './run.ts';
import { moduleAction } from '../../runtime/cli/action-cache.ts';

function fail(message: string, code = 2): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

/** `lottery server`'s work: acceptor threads in this process, or acceptor processes (--processes). */
export async function serverCommand(o: ServerCliOptions & { processes?: boolean }): Promise<void> {
  if (o.processes) {
    const { runClusterServerProcess } = await import('./cluster/server-process.ts');
    return runClusterServerProcess(o);
  }
  const { runServerProcess } = await import('./processes.ts');
  await runServerProcess(o);
}

/** `lottery run`'s work (run-command.ts, from its code bundle when a fresh one is there), then this process's exit with its code. */
export async function runCommand(o: RunAllOptions): Promise<void> {
  const { bundledRunCommand, buildRunBundle } = await import('./run-bundle.ts');
  const bundled = bundledRunCommand();
  const code = await (bundled ?? (await import('./run-command.ts'))).runCommandHere(o);
  if (bundled === null) await buildRunBundle(); // for the next run
  process.exit(code);
}

export function registerLotteryCommands(program: Command): void {
  const l = program.command('lottery').description('the TP0 lottery: agencies, lottery servers and the draw (see actors/lottery/README.md)');

  l.command('server')
    .description('run a lottery server (server/config.ini [DEFAULT] and the environment, upstream style; flags override)')
    .option('--config <file>', 'config.ini (default server/config.ini or config.ini in the current folder)')
    .option('--host <host>', 'listen address (default 0.0.0.0)')
    .option('--port <port>', 'SERVER_PORT')
    .option('--backlog <n>', 'SERVER_LISTEN_BACKLOG')
    .option('--agencies <n>', 'AGENCIES: agencies the draw waits for (required in lottery mode)')
    .option('--servers <k>', 'acceptor threads on the same port (reusePort)')
    .option('--data <dir>', 'folder of bets.csv and the store (default .)')
    .option('--mode <mode>', 'SERVER_MODE: lottery, echo or bet')
    .option('--log-level <level>', 'LOGGING_LEVEL')
    .option('--durability <d>', 'full (default: fsync every commit) or normal')
    .option('--create-data-dir', "create --data when it is missing (only folders inside the project's .data/ are created unasked)")
    .option('--processes', 'the acceptors as separate processes sharing this one\'s store and draw over node links (see cluster/)')
    // Called at once by a start with the same command line as before (runtime/cli/action-cache.ts).
    .action(moduleAction(new URL(import.meta.url), 'serverCommand' satisfies keyof typeof import('./cli.ts')));

  l.command('agency')
    .description('run one lottery agency (CLI_ID, NOMBRE… and client/config.yaml, upstream style; flags override)')
    .option('--config <file>', 'config.yaml (default client/config.yaml or config.yaml in the current folder)')
    .option('--id <n>', 'agency id (CLI_ID)')
    .option('--server <host:port>', 'server address (server.address / CLI_SERVER_ADDRESS)')
    .option('--file <csv>', 'bets file (default .data/agency-<id>.csv)')
    .option('--batch-max <n>', 'batch.maxAmount: bets per batch, 1..9999 (default 35)')
    .option('--protocol <A|B>', 'wire protocol (default B)')
    .option('--mode <mode>', 'CLI_MODE: batch (default), bet or echo')
    .option('--log-level <level>', 'log.level')
    .option('--connect-retry-ms <ms>', 'how long to retry an unreachable server (default 30000)')
    // Called at once by a start with the same command line as before (runtime/cli/action-cache.ts).
    .action(moduleAction(new URL('./processes.ts', import.meta.url), 'runAgencyProcess' satisfies keyof typeof import('./processes.ts')));

  l.command('run')
    .description('a whole run: the server process and N agencies (in this process; one process each with --agency-processes), with the combined log stream')
    .requiredOption('--agencies <n>', 'number of agencies (0 works)')
    .option('--data <dir>', 'folder of agency-N.csv files or a zip (default: the official data set)')
    .option('--servers <k>', 'server acceptor threads', '1')
    .option('--processes', 'the server\'s acceptors as separate processes over node links')
    .option('--batch-max <n>', 'batch.maxAmount for every agency (default 9999: each batch fills the 8 kB packet)')
    .option('--protocol <p>', 'A (default: exactly-once), B or mixed', 'A')
    .option('--port <port>', 'server port (default: a free one)')
    .option('--server-data <dir>', 'folder for bets.csv and the store (default: a fresh temp folder)')
    .option('--log-level <level>', "agencies' log.level")
    .option('--start-order <order>', 'server-first (default) or random (agencies started before the server retry)', 'server-first')
    .option('--agency-processes', 'one process per agency, as the official harness runs them (default: the agencies run in this process)')
    .option('--no-check', 'skip the log-contract check at the end')
    // Called at once by a start with the same command line as before (runtime/cli/action-cache.ts).
    .action(moduleAction(new URL(import.meta.url), 'runCommand' satisfies keyof typeof import('./cli.ts')));

  l.command('topology')
    .description('write a topology with a server section and agencies 1…N (and a docker-compose file)')
    .requiredOption('--agencies <n>', 'number of agencies (0 works)')
    .option('--servers <k>', 'acceptor threads', '1')
    .option('--port <port>', 'server port', '12345')
    .option('--protocol <p>', 'A (default: exactly-once), B or mixed', 'A')
    .option('--batch-max <n>', 'batch.maxAmount', '35')
    .option('--data <path>', 'folder of agency-N.csv files or a zip (default: the official data set)')
    .option('--out <file>', 'topology file (default: stdout)')
    .option('--compose [file]', 'also write a docker-compose file in the upstream shape (alone when --out is not given)')
    .action(async (o) => {
      const { writeTopologyFiles } = await import('./topology.ts');
      const n = Number(o.agencies);
      if (!Number.isInteger(n) || n < 0) fail(`--agencies must be a non-negative integer, got ${o.agencies}`);
      const written = writeTopologyFiles({
        agencies: n,
        servers: Number(o.servers),
        port: Number(o.port),
        protocol: o.protocol === 'mixed' ? 'mixed' : o.protocol === 'B' ? 'B' : 'A',
        batchMax: Number(o.batchMax),
        data: o.data,
        out: o.out,
        compose: o.compose,
      });
      for (const w of written) process.stderr.write(`wrote ${w}\n`);
    });

  l.command('echo-check')
    .description('Ex3: check an echo-mode server; prints one `action: test_echo_server | result: …` line')
    .option('--server <host:port>', 'server address (default $SERVER_ADDRESS or 127.0.0.1:12345)')
    .option('--timeout-ms <ms>', 'give up after', '5000')
    .action(async (o) => {
      const { echoCheck } = await import('./processes.ts');
      await echoCheck(o);
    });

  l.command('generate-data')
    .description('write agency-1.csv … agency-N.csv of the official shape (CRLF, accents, duplicate DNIs)')
    .requiredOption('--agencies <n>', 'number of agencies')
    .requiredOption('--rows <r>', 'rows per agency')
    .option('--seed <s>', 'random seed', '7574')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o) => {
      const { generateData } = await import('./dataset.ts');
      const r = generateData({ agencies: Number(o.agencies), rows: Number(o.rows), seed: Number(o.seed), out: o.out });
      for (const [a, w] of Object.entries(r.winners)) process.stdout.write(`agency-${a}.csv: ${r.rows[Number(a)]} rows, ${w} winning bets (7574)\n`);
    });

  l.command('check-log')
    .description('check a combined log (`<source> | <line>`) against the TP0 log contract')
    .argument('[file]', 'log file (default: stdin)')
    .option('--clients <n>', 'agencies client1…clientN must exit 0 after the draw')
    .option('--bets <n>', 'expected sum of cantidad at the draw')
    .action(async (file: string | undefined, o) => {
      const { checkLog } = await import('./logcheck.ts');
      const text = readFileSync(file ?? 0, 'utf8');
      const n = o.clients !== undefined ? Number(o.clients) : undefined;
      const r = checkLog(text, {
        clients: n !== undefined ? Array.from({ length: n }, (_, i) => `client${i + 1}`) : undefined,
        expectedBets: o.bets !== undefined ? Number(o.bets) : undefined,
      });
      for (const p of r.problems) process.stdout.write(`${p}\n`);
      process.stdout.write(`${r.ok ? 'ok' : 'FAILED'}: ${r.lines.length} action lines, ${r.exits.length} exit lines, ${r.sorteo} sorteo, sum of cantidad ${r.cantidadTotal}\n`);
      process.exit(r.ok ? 0 : 1);
    });
}
