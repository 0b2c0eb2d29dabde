// The `actor-runtime` command line: kernel commands plus whatever the registered subsystems add.

import { Command, CommanderError } from 'commander';
import { subsystemCommands } from '../kernel/subsystem.ts';
import { reportError } from './errors.ts';

/** Adds commands to the program; may import its module first. */
export type CommandRegistrar = (p: Command) => void | Promise<void>;

/** A kernel-level command group: the names it adds, and how to register them (importing its module). */
export interface KernelCommands {
  names: string[];
  register: CommandRegistrar;
}

/** The kernel's own commands, each imported only when the command line may need it. */
const KERNEL_COMMANDS: KernelCommands[] = [
  { names: ['run'], register: async (p) => (await import('./commands.ts')).registerRunCommand(p) },
  { names: ['inspect', 'top'], register: async (p) => (await import('./commands.ts')).registerInspectCommands(p) },
  { names: ['view'], register: async (p) => (await import('./commands.ts')).registerViewCommand(p) },
];

/**
 * The program for this command line, with only the modules it needs: a subsystem's command (a
 * one-shot tool such as `signal` or `broker create`) gets no kernel command at all; a kernel
 * command (`run`, `bench`...) gets only its own group; anything else (help, a typo: the
 * suggestions need every name) gets every command. Start-up is what a tool pays on every run.
 */
export async function buildProgram(extra: (CommandRegistrar | KernelCommands)[] = [], argv = process.argv): Promise<Command> {
  const asked = argv[2];
  const groups = [...KERNEL_COMMANDS, ...extra.map((e) => (typeof e === 'function' ? { names: [], register: e } : e))];
  const own = groups.find((g) => asked !== undefined && g.names.includes(asked));
  // A subsystem's command: its commands registered once, on the program itself (no probe first).
  if (own === undefined && asked !== undefined && !asked.startsWith('-')) {
    const program = newProgram();
    for (const add of subsystemCommands()) add(program);
    if (program.commands.some((c) => c.name() === asked || c.aliases().includes(asked))) return finish(program);
  }
  const program = newProgram();
  // In order, so that --help lists them as always.
  for (const g of own ? [own] : groups) await g.register(program);
  for (const add of subsystemCommands()) add(program);
  return finish(program);
}

function newProgram(): Command {
  return new Command('actor-runtime')
    .description('An actor-model runtime for Node.js: supervised actors on worker threads, typed mailboxes, state machines.')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
}

/** Every subcommand reports usage errors the same way. */
function finish(program: Command): Command {
  for (const c of program.commands) c.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
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
    reportError(err);
  }
}
