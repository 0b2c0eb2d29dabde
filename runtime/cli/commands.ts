// The kernel's own commands (run, inspect, top, view): their definitions only. Each action imports
// its module when it runs, so `--help` and a typo's suggestions load none of them.

import type { Command } from 'commander';
import { moduleAction } from './action-cache.ts';
import type { NodeOpts } from './inspect.ts';
import type { ViewOpts } from './view.ts';

function nodeOptions(c: Command): Command {
  return c
    .option('--node <url>', 'attach to a runtime node over its link (ws:// or wss://), authenticated with the link secret')
    .option('--peer <name>', "with --node: show that node's peer, read over their link")
    .option('--secret-file <path>', 'with --node: file holding the link secret (default: $ACTOR_RUNTIME_NODE_SECRET)')
    .option('--secret-env <name>', 'with --node: environment variable holding the link secret')
    .option('--ca <file>', 'with --node wss://: CA certificate(s) to trust (PEM)')
    .option('--cert <file>', 'with --node wss://: client certificate for mutual TLS (PEM)')
    .option('--key <file>', 'with --node wss://: its key (PEM)');
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
    .option('--view <[host:]port>', 'serve the live web page (loopback unless a secret is set; see `view --help`)')
    .option('--view-secret-file <path>', 'file holding the node secret the page must prove (or ACTOR_RUNTIME_NODE_SECRET; ACTOR_RUNTIME_SECRET is read as an alias)')
    .action(moduleAction(new URL('./run.ts', import.meta.url), 'runCommand' satisfies keyof typeof import('./run.ts')));
}

export function registerInspectCommands(program: Command): void {
  nodeOptions(program
    .command('inspect'))
    .description('print the live actor tree of a running system (threads, mailbox depths, restarts, actor details)')
    .option('--socket <path>', 'control socket of the system (default: the only running one)')
    .option('--name <name>', 'pick the running system by name')
    .option('--json', 'print the raw snapshot as JSON')
    .option('--events', 'follow the event stream (spawn, stop, restart, crash, dead letters), one JSON line per event')
    .action(async (opts: { socket?: string; name?: string; json?: boolean; events?: boolean } & NodeOpts) => (await import('./inspect.ts')).inspectCommand(opts));

  nodeOptions(program
    .command('top'))
    .description('refresh the actor tree every second with message rates (Ctrl-C to leave)')
    .option('--socket <path>', 'control socket of the system')
    .option('--name <name>', 'pick the running system by name')
    .option('--interval <ms>', 'refresh interval in ms', '1000')
    .option('--count <n>', 'stop after n refreshes (0 = forever)', '0')
    .action(async (opts: { socket?: string; name?: string; interval: string; count: string } & NodeOpts) => (await import('./inspect.ts')).topCommand(opts));
}

export function registerViewCommand(program: Command): void {
  program
    .command('view')
    .description('serve the live web page (actor tree, charts, failures, subsystem panels) of a running system')
    .option('--listen <[host:]port>', 'where to serve the page (loopback unless a secret is set)', '127.0.0.1:8090')
    .option('--socket <path>', 'control socket of the system (default: the only running one)')
    .option('--name <name>', 'pick the running system by name')
    .option('--node <url>', 'attach to a runtime node over its link (ws:// or wss://), authenticated with the node secret')
    .option('--secret-file <path>', 'file holding the node secret (links; pages must prove it too); default $ACTOR_RUNTIME_NODE_SECRET')
    .option('--secret-env <name>', 'environment variable holding the node secret')
    .option('--ca <file>', 'with --node wss://: CA certificate(s) to trust (PEM)')
    .option('--cert <file>', 'with --node wss://: client certificate for mutual TLS (PEM)')
    .option('--key <file>', 'with --node wss://: its key (PEM)')
    .action(async (opts: ViewOpts) => (await import('./view.ts')).viewCommand(opts));
}
