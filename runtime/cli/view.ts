// `actor-runtime view` and `run --view`: serve the live web page for a system, in this process or
// attached through a running system's control socket. The view's code loads only when asked for.

import net from 'node:net';
import { resolve } from 'node:path';
import type { ActorSystem } from '../kernel/system.ts';
import type { ViewServer, ViewSource } from '../view/index.ts';
import { pickSocket } from './pick-socket.ts';
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

export interface ViewOpts {
  listen: string;
  socket?: string;
  name?: string;
  node?: string;
  secretFile?: string;
  secretEnv?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

type View = typeof import('../view/index.ts');

/** The system through its control socket; `gone` resolves when it stops answering. */
async function socketSource(view: View, opts: ViewOpts): Promise<{ source: ViewSource; label: string; gone: (stop: Promise<void>) => Promise<string> }> {
  const path = pickSocket(opts);
  if (!(await alive(path))) throw new CliError(`cannot reach the system at ${path}`, 1);
  const at = path;
  return {
    source: view.controlSource(at),
    label: at,
    gone: (stop) =>
      new Promise<string>((res) => {
        const timer = setInterval(() => void alive(at).then((ok) => ok || (clearInterval(timer), res('the system stopped'))), 2000);
        void stop.then(() => clearInterval(timer));
      }),
  };
}

/** A remote node over authenticated inspector links, as `inspect --node` attaches. */
async function remoteSource(view: View, opts: ViewOpts & { node: string }): Promise<{ source: ViewSource; label: string; gone: (stop: Promise<void>) => Promise<string> }> {
  const { openInspector } = await import('../nodes/inspect-client.ts');
  const open = (): ReturnType<typeof openInspector> => openInspector(opts.node, opts);
  let snapshots;
  try {
    snapshots = await open();
    await snapshots.snapshot();
  } catch (err) {
    throw new CliError(`cannot attach to node ${opts.node}: ${(err as Error).message}`, 1);
  }
  const ins = snapshots;
  return {
    source: view.nodeSource(opts.node, ins, open),
    label: `node ${opts.node}`,
    gone: (stop) => {
      void stop.then(() => ins.close());
      return ins.closed.then((why) => `the node closed the link (${why})`);
    },
  };
}

/** The `view` command's work (its definition is in commands.ts). */
export async function viewCommand(opts: ViewOpts): Promise<void> {
  const view = await import('../view/index.ts');
  let addr;
  let secret;
  try {
    addr = view.parseViewAddress(opts.listen);
    secret = view.loadSecret(opts.secretFile, opts.secretEnv);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  const node = opts.node;
  const { source, label, gone } = node ? await remoteSource(view, { ...opts, node }) : await socketSource(view, opts);
  const server = await start(() => view.startViewServer({ ...addr, secret, source }));
  process.stdout.write(`live view of ${label} at ${server.url}\n`);
  // Serve until Ctrl-C or until the system (or the node link) goes away.
  let stopped!: () => void;
  const stop = new Promise<void>((r) => (stopped = r));
  const why = await new Promise<string>((res) => {
    const done = (reason: string): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      res(reason);
    };
    void gone(stop).then(done);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  stopped();
  await server.close();
  process.stderr.write(`view stopped: ${why}\n`);
}
