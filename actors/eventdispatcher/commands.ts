// The event dispatcher's commands: `message parse|format`, `signal`, `stop` and
// `check-certificate`. Declared here; each loads its code only when it runs.

import { createRequire } from 'node:module';
import type { Command } from 'commander';

const DEFAULT_MAX_LINE = 16 * 1024 * 1024;

function byteCount(v: string): number {
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(n) || n < 1 || n > 2 ** 32) {
    // commander is loaded by then (it is parsing); a start that needs no parsing never loads it here
    const { InvalidArgumentError } = createRequire(import.meta.url)('commander') as typeof import('commander');
    throw new InvalidArgumentError('expected a positive integer number of bytes');
  }
  return n;
}

function registerMessageCommand(program: Command): void {
  const message = program.command('message').description('event dispatcher messages: parse and format them, one per line on stdin');
  message
    .command('parse')
    .description('read one message per line (string or JSON form); print {"ok":true,"message":{...}} or {"ok":false,"error":"..."} per line')
    .option('--strict', 'strict mode: enforce the name rules on the header fields, reject NUL and JSON without a command')
    .option('--max-line <bytes>', 'longest accepted line in bytes', byteCount, DEFAULT_MAX_LINE)
    .action(async (opts: { strict?: boolean; maxLine: number }) => {
      const { filterLines, parseLine } = await import('./message-cli.ts');
      const mode = opts.strict === true ? 'strict' : 'compat';
      const failed = await filterLines(process.stdin, process.stdout, (line) => parseLine(line, mode), opts.maxLine);
      process.exitCode = failed === 0 ? 0 : 1;
    });
  message
    .command('format')
    .description('read one message object per line ({"command":..,"parameters":{..}} or a `message parse` line); print the string form')
    .option('--json', 'print the JSON form instead of the string form')
    .option('--strict', 'apply the setter name rules (uppercase command, special server/service names)')
    .option('--max-line <bytes>', 'longest accepted line in bytes', byteCount, DEFAULT_MAX_LINE)
    .action(async (opts: { json?: boolean; strict?: boolean; maxLine: number }) => {
      const { filterLines, formatLine } = await import('./message-cli.ts');
      const failed = await filterLines(process.stdin, process.stdout, (line) => formatLine(line, { json: opts.json, strict: opts.strict }), opts.maxLine);
      process.exitCode = failed === 0 ? 0 : 1;
    });
}

/** A tool with its own option parser (it also reads a configuration file and a variable). */
function tool(program: Command, name: string, description: string, run: () => Promise<(argv: string[]) => Promise<number>>): void {
  program
    .command(name)
    .description(`${description} (--help for its options)`)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]')
    .action(async (_args: string[], _opts: unknown, cmd: Command) => {
      const fn = await run();
      process.exitCode = await fn(cmd.args);
    });
}

export function registerEventDispatcherCommands(program: Command): void {
  registerMessageCommand(program);
  tool(program, 'signal', 'ed-signal: send one event dispatcher message over UDP or TCP', async () => (await import('./tools/signal.ts')).runSignal);
  tool(program, 'stop', 'ed-stop: stop a service with SIGINT, then SIGTERM', async () => (await import('./tools/stop.ts')).runStop);
  tool(program, 'check-certificate', 'exit 0 when a TLS certificate has enough days left', async () => (await import('./tools/check-certificate.ts')).runCheckCertificate);
}
