// Runs one of the §6 tools (`tool` names it in errors, `usage` in --help): parses its options (file, environment, command line) with its own
// commander Command, prints `<tool>: error: <message>` on failure and returns the exit code
// (0 OK, 1 error, 2 unexpected error).

import { Command, CommanderError } from 'commander';
import { gatherArgs, optionKinds, ToolError } from './settings.ts';

export async function runTool(
  tool: string,
  usage: string,
  envVar: string,
  argv: string[],
  build: (cmd: Command) => Command,
  main: (opts: Record<string, unknown>, args: string[]) => Promise<number>,
): Promise<number> {
  let errText = '';
  const cmd = build(new Command(usage))
    .exitOverride()
    .configureOutput({ writeErr: (s) => (errText += s), writeOut: (s) => process.stdout.write(s) });
  try {
    const args = gatherArgs(tool, envVar, argv, optionKinds(cmd));
    cmd.parse(args, { from: 'user' });
    return await main(cmd.opts(), cmd.args);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      process.stderr.write(`${tool}: error: ${errText.replace(/^error: /, '').trim() || err.message}\n`);
      return 1;
    }
    if (err instanceof ToolError) {
      process.stderr.write(`${tool}: error: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`${tool}: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 2;
  }
}
