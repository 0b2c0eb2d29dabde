// `actor-runtime inspect` and `top`: attach to a running system through its control socket.

import { request } from '../inspection/control.ts';
import { pickSocket } from './pick-socket.ts';
import { renderSnapshot } from './render.ts';
import type { SystemSnapshot } from '../kernel/system.ts';
import { CliError } from './errors.ts';


/** Options that attach to a remote node over an authenticated link instead of the local socket. */
export interface NodeOpts {
  node?: string;
  peer?: string;
  secretFile?: string;
  secretEnv?: string;
  ca?: string;
  cert?: string;
  key?: string;
}


async function openNode(o: NodeOpts) {
  const { openInspector } = await import('../nodes/inspect-client.ts');
  try {
    return await openInspector(o.node!, o);
  } catch (err) {
    throw new CliError(`cannot inspect node ${o.node}: ${(err as Error).message}`, 1);
  }
}

async function snapshot(path: string): Promise<SystemSnapshot> {
  let snap: SystemSnapshot | undefined;
  await request(path, 'snapshot', (r) => {
    if (!r.ok) throw new CliError(r.error, 1);
    snap = r.snapshot;
    return false;
  });
  if (!snap) throw new CliError(`no snapshot from ${path}`, 1);
  return snap;
}

/** The `inspect` command's work (its definition is in commands.ts). */
export async function inspectCommand(opts: { socket?: string; name?: string; json?: boolean; events?: boolean } & NodeOpts): Promise<void> {
  if (opts.node) {
    const ins = await openNode(opts);
    if (opts.events) return ins.events((ev) => void process.stdout.write(`${JSON.stringify(ev)}\n`));
    const snap = await ins.snapshot(opts.peer).finally(() => ins.close());
    process.stdout.write(opts.json ? `${JSON.stringify(snap, null, 2)}\n` : `${renderSnapshot(snap)}\n`);
    return;
  }
  const path = pickSocket(opts);
  if (opts.events) {
    await request(path, 'events', (r) => {
      process.stdout.write(`${JSON.stringify(r.event)}\n`);
      return true;
    });
    return;
  }
  const snap = await snapshot(path);
  process.stdout.write(opts.json ? `${JSON.stringify(snap, null, 2)}\n` : `${renderSnapshot(snap)}\n`);
}

/** The `top` command's work (its definition is in commands.ts). */
export async function topCommand(opts: { socket?: string; name?: string; interval: string; count: string } & NodeOpts): Promise<void> {
  const ins = opts.node ? await openNode(opts) : null;
  const path = ins ? '' : pickSocket(opts);
  const interval = Math.max(100, Number(opts.interval) || 1000);
  const count = Number(opts.count) || 0;
  let prev: SystemSnapshot | null = null;
  for (let i = 0; count === 0 || i < count; i++) {
    const snap = ins ? await ins.snapshot(opts.peer) : await snapshot(path);
    const rates = new Map<string, number>();
    if (prev) {
      const dt = (snap.uptimeMs - prev.uptimeMs) / 1000;
      const before = new Map(prev.actors.map((a) => [a.path, a.processed]));
      for (const a of snap.actors) rates.set(a.path, dt > 0 ? (a.processed - (before.get(a.path) ?? 0)) / dt : 0);
    }
    if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
    process.stdout.write(`${renderSnapshot(snap, rates, { panels: true })}\n`);
    prev = snap;
    if (count === 0 || i + 1 < count) await new Promise((r) => setTimeout(r, interval));
  }
  ins?.close();
}
