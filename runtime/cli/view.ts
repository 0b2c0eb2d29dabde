// `actor-runtime view` and `run --view`: serve the live web page for a system, in this process or
// attached through a running system's control socket. The view's code loads only when asked for.

import net from 'node:net';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActorSystem } from '../system.ts';
import type { ViewServer } from '../view/index.ts';
import { findSockets } from '../control.ts';
import { CliError } from './errors.ts';

export type ViewSetting = string | number | { address: string | number; secretFile?: string };

/** `--view` (or the topology's `view:`) for a system in this process; `dir` resolves a secret file. */
export async function serveView(system: ActorSystem, setting: ViewSetting, secretFileOpt: string | undefined, dir: string): Promise<ViewServer> {
  const view = await import('../view/index.ts');
  const text = typeof setting === 'object' ? String(setting.address) : String(setting);
  const file = secretFileOpt ?? (typeof setting === 'object' && setting.secretFile ? resolve(dir, setting.secretFile) : undefined);
  let addr;
  let secret;
  try {
    addr = view.parseViewAddress(text);
    secret = view.loadSecret(file);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  return start(() => view.startViewServer({ ...addr, secret, source: view.systemSource(system) }));
}

async function start(f: () => Promise<ViewServer>): Promise<ViewServer> {
  try {
    return await f();
  } catch (err) {
    const msg = (err as Error).message;
    throw new CliError(msg, /EADDRINUSE|EACCES|EADDRNOTAVAIL/.test(msg) ? 3 : 2);
  }
}

function alive(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect(path);
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });
}

export function registerViewCommand(program: Command): void {
  program
    .command('view')
    .description('serve the live web page (actor tree, charts, failures, subsystem panels) of a running system')
    .option('--listen <[host:]port>', 'where to serve the page (loopback unless a secret is set)', '127.0.0.1:8090')
    .option('--socket <path>', 'control socket of the system (default: the only running one)')
    .option('--name <name>', 'pick the running system by name')
    .option('--node <url>', 'attach over a node link (arrives with node links, issue 13)')
    .option('--secret-file <path>', 'file holding the node secret pages must prove (or ACTOR_RUNTIME_SECRET)')
    .action(async (opts: { listen: string; socket?: string; name?: string; node?: string; secretFile?: string }) => {
      if (opts.node) throw new CliError(`--node ${opts.node}: node links are not available yet; attach through the control socket (--socket or --name)`, 2);
      let path = opts.socket;
      if (!path) {
        const found = findSockets(opts.name);
        if (found.length === 0) throw new CliError(`no running system found${opts.name ? ` named ${opts.name}` : ''} (start one with: actor-runtime run <topology>)`, 1);
        if (found.length > 1) throw new CliError(`several systems are running; choose one with --socket:\n${found.map((f) => `  ${f}`).join('\n')}`, 2);
        path = found[0];
      }
      if (!(await alive(path))) throw new CliError(`cannot reach the system at ${path}`, 1);
      const view = await import('../view/index.ts');
      let addr;
      let secret;
      try {
        addr = view.parseViewAddress(opts.listen);
        secret = view.loadSecret(opts.secretFile);
      } catch (err) {
        throw new CliError((err as Error).message, 2);
      }
      const server = await start(() => view.startViewServer({ ...addr, secret, source: view.controlSource(path) }));
      process.stdout.write(`live view of ${path} at ${server.url}\n`);
      // Serve until Ctrl-C or until the system goes away.
      const why = await new Promise<string>((res) => {
        const done = (reason: string): void => {
          clearInterval(timer);
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          res(reason);
        };
        const timer = setInterval(() => void alive(path).then((ok) => ok || done('the system stopped')), 2000);
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await server.close();
      process.stderr.write(`view stopped: ${why}\n`);
    });
}
