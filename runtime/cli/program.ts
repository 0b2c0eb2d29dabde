// The `actor-runtime` command line: kernel commands plus whatever the registered subsystems add.

import { Command, CommanderError } from 'commander';
import { subsystemCommands } from '../kernel/subsystem.ts';
import { CliError } from './errors.ts';

/** Adds commands to the program; may import its module first. */
export type CommandRegistrar = (p: Command) => void | Promise<void>;

/**
 * The program for this command line. When the command asked for is a subsystem's (a one-shot tool
 * such as `signal` or `broker create`), the kernel's own commands (run, inspect, view, and the
 * `extra` ones) and their modules are not loaded at all: start-up is what such a tool pays on
 * every run. Any other command line (help, a kernel command, a typo) gets every command.
 */
export async function buildProgram(extra: CommandRegistrar[] = [], argv = process.argv): Promise<Command> {
  const program = new Command('actor-runtime')
    .description('An actor-model runtime for Node.js: supervised actors on worker threads, typed mailboxes, state machines.')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  if (!isSubsystemCommand(argv[2])) {
    const [{ registerRunCommand }, { registerInspectCommands }, { registerViewCommand }] = await Promise.all([import('./run.ts'), import('./inspect.ts'), import('./view.ts')]);
    registerRunCommand(program);
    registerInspectCommands(program);
    registerViewCommand(program);
    for (const add of extra) await add(program);
  }
  for (const add of subsystemCommands()) add(program);
  // Every subcommand reports usage errors the same way.
  for (const c of program.commands) c.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

function isSubsystemCommand(name: string | undefined): boolean {
  if (name === undefined || name.startsWith('-')) return false;
  const probe = new Command();
  for (const add of subsystemCommands()) add(probe);
  return probe.commands.some((c) => c.name() === name || c.aliases().includes(name));
}

/** Parses and runs; maps usage errors to exit 2 and CliErrors to their code, without stacks. */
export async function main(program: Command, argv = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are not errors
      process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
      return;
    }
    // A CliError, or any error that names its exit code (a subsystem's start or tool error), is
    // meant for the user: one line, no stack.
    const code = (err as { exitCode?: unknown } | null)?.exitCode;
    if (err instanceof CliError || (err instanceof Error && typeof code === 'number')) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = code as number;
      return;
    }
    process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
