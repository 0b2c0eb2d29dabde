// Broker scenarios (performance.md):
// - fan-out: 1 publisher, 4 subscribers, 64-byte messages, 200k messages (quick runs too, with
//   fewer samples), an in-memory topic (server durability `off`), through the client API;
//   baselines NATS, Redis pub/sub and Mosquitto with their own Node clients and the same load
//   generator, each server started here when its binary is installed and reported as skipped
//   otherwise. Target ≥ 1.5x the best of them.
// - durable: the same with every publish acknowledged after its group commit (durability `full`);
//   target ≥ 0.5x the in-memory run.
// Our server and local broker run as two child processes (as deployed); the load generator is a
// third (bench/load/broker-fanout.ts). Peak RSS of server + local broker is reported, and for
// every system the CPU each process used per delivered message over the timed part.
// Both figures use the server's defaults (pushWindow 256, broker.md §11). One more in-memory run
// with `--push-window 4096` (the subscribers' stream credit) is reported beside them: with 256
// unconsumed pushes per subscriber, the delivery round trip server -> local broker -> client ->
// consumed bounds the rate on this machine (publish pacing keeps the publisher at that pace; a
// publish answered -5 is still retried and counted).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

const ENTRY = fileURLToPath(new URL('../../bin/actor-runtime.ts', import.meta.url));
const LOAD = fileURLToPath(new URL('../load/broker-fanout.ts', import.meta.url));

interface Fanout {
  delivered: number;
  expected: number;
  seconds: number;
  rate: number;
  error?: string;
  /** Publishes answered -5 (full queue) and sent again (ours only). */
  retries?: number;
  /** CPU of the load generator's process over the timed part (ms). */
  cpuMs?: number;
  /** CPU of each server process over the timed part (ms), sampled from /proc. */
  serverCpuMs?: number[];
}

/** user + system CPU of a process so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function waitFor(check: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = async (): Promise<void> => {
      if (await check()) return resolve();
      if (Date.now() > end) return reject(new Error(`bench: timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    void tick();
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      r(true);
    }).on('error', () => r(false));
  });
}

function peakRss(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function stop(children: ChildProcess[]): Promise<void> {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

/** One load-generator run; `servers` are the processes whose CPU over the timed part is reported. */
function fanout(kind: string, target: string, count: number, servers: (number | undefined)[] = []): Promise<Fanout> {
  // a tenth of the count first, untimed, for every system alike (the runner's warm-up, performance.md)
  const cfg = { kind, target, count, subs: 4, size: 64, window: 256, timeoutMs: 120_000, warmup: Math.round(count / 10) };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let before: number[] = [];
    let after: number[] = [];
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      // the servers' CPU is sampled when the timed part starts and when its result line arrives
      if (before.length === 0 && out.includes('{"phase":"timed"}\n')) before = servers.map(cpuMsOf);
      if (after.length === 0 && out.includes('"rate"')) after = servers.map(cpuMsOf);
    });
    child.on('exit', () => {
      try {
        const f = JSON.parse(out.trim().split('\n').pop()!) as Fanout;
        if (before.length > 0 && after.length > 0) f.serverCpuMs = after.map((a, i) => a - before[i]);
        resolve(f);
      } catch {
        reject(new Error(`broker load generator (${kind}) printed no result`));
      }
    });
  });
}

/** Our server + local broker (two processes), one fan-out run. */
export async function runOurs(durability: 'off' | 'full', count: number, pushWindow?: number): Promise<{ f: Fanout; rss: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'broker-bench-'));
  const port = await freePort();
  // the server link is a node link: both processes need the same node secret
  const env = { ...process.env, LOG_LEVEL: 'warn', ACTOR_RUNTIME_NODE_SECRET: process.env.ACTOR_RUNTIME_NODE_SECRET || randomBytes(24).toString('base64url') };
  const server = spawn(process.execPath, [ENTRY, 'broker', 'server', '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'srv'), '--durability', durability, ...(pushWindow ? ['--push-window', String(pushWindow)] : [])], { stdio: 'ignore', env });
  const socket = join(dir, 'lb', 'lb.sock');
  let local: ChildProcess | null = null;
  try {
    await waitFor(() => listening(port), 'the broker server');
    local = spawn(process.execPath, [ENTRY, 'broker', 'local', '--server', `ws://127.0.0.1:${port}`, '--data', join(dir, 'lb')], { stdio: 'ignore', env });
    await waitFor(() => new Promise((r) => connect(socket).on('connect', function (this: ReturnType<typeof connect>) { this.destroy(); r(true); }).on('error', () => r(false))), 'the local broker');
    const f = await fanout('ours', socket, count, [server.pid, local.pid]);
    return { f, rss: peakRss(server.pid) + peakRss(local.pid) };
  } finally {
    await stop(local ? [local, server] : [server]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const THIRD_PARTY: { kind: string; name: string; bin: string; args(port: number): string[] }[] = [
  { kind: 'nats', name: 'NATS', bin: 'nats-server', args: (p) => ['-a', '127.0.0.1', '-p', String(p)] },
  { kind: 'redis', name: 'Redis pub/sub', bin: 'redis-server', args: (p) => ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'] },
  { kind: 'mqtt', name: 'Mosquitto', bin: 'mosquitto', args: (p) => ['-p', String(p)] },
];

function installed(bin: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin']) {
    if (spawnSync('test', ['-x', join(dir, bin)]).status === 0) return join(dir, bin);
  }
  return null;
}

async function runThirdParty(t: (typeof THIRD_PARTY)[number], path: string, count: number): Promise<{ f: Fanout; rss: number }> {
  const port = await freePort();
  const server = spawn(path, t.args(port), { stdio: 'ignore' });
  try {
    await waitFor(() => listening(port), t.name);
    const f = await fanout(t.kind, String(port), count, [server.pid]);
    return { f, rss: peakRss(server.pid) };
  } finally {
    await stop([server]);
  }
}

/** CPU per delivered message of the timed part, per process: "server 0.90 + local 1.10 + clients 0.80 = 2.80 µs". */
export function cpuPerDelivery(f: Fanout, names: string[]): string {
  if (!f.delivered || f.cpuMs === undefined || !f.serverCpuMs) return 'n/a';
  const parts = [...f.serverCpuMs, f.cpuMs].map((ms) => (ms * 1000) / f.delivered);
  const total = parts.reduce((a, b) => a + b, 0);
  return `${parts.map((us, i) => `${[...names, 'clients'][i]} ${us.toFixed(2)}`).join(' + ')} = ${total.toFixed(2)} µs`;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs: number[]): string => `${Math.round(Math.min(...xs))}..${Math.round(Math.max(...xs))}`;

export async function run(_o: ScenarioOptions): Promise<ScenarioResult[]> {
  // A quick run sends the full run's 200k messages and takes fewer samples (the runner's rule: the
  // same measurements, fewer of them). With 100k its fan-out ratio read below the full run's range
  // every time (0.46x against 0.58-0.62x on a quiet machine, 0.35-0.39x against 0.44-0.81x under
  // load): the timed part was short against the JIT's and the queues' ramp-up.
  const count = 200_000;
  // Two samples per run, each a pair (the third-party servers' best and ours, the k-th run of
  // each): with one, a quick run's median of 3 fell 0.01x under the range of a full run's 5.
  const runs = 2;
  const baselines: { name: string; rate: number; rates: number[]; spread: string; rss: number; cpu: string }[] = [];
  const skipped: string[] = [];
  for (const t of THIRD_PARTY) {
    const path = installed(t.bin);
    if (!path) {
      skipped.push(`${t.name} (${t.bin} not installed)`);
      continue;
    }
    const rs = [];
    for (let i = 0; i < runs; i++) rs.push(await runThirdParty(t, path, count));
    baselines.push({ name: t.name, rate: median(rs.map((r) => r.f.rate)), rates: rs.map((r) => r.f.rate), spread: spread(rs.map((r) => r.f.rate)), rss: Math.max(...rs.map((r) => r.rss)), cpu: cpuPerDelivery(rs[0].f, ['server']) });
  }
  const mem: Awaited<ReturnType<typeof runOurs>>[] = [];
  for (let i = 0; i < runs; i++) mem.push(await runOurs('off', count));
  const dur: Awaited<ReturnType<typeof runOurs>>[] = [];
  for (let i = 0; i < runs; i++) dur.push(await runOurs('full', count));
  const memRate = median(mem.map((r) => r.f.rate));
  const durRate = median(dur.map((r) => r.f.rate));
  const wide = [];
  for (let i = 0; i < runs; i++) wide.push(await runOurs('off', count, 4096));
  const best = baselines.reduce<(typeof baselines)[number] | null>((b, x) => (b === null || x.rate > b.rate ? x : b), null);
  // The k-th sample's baseline: the best third-party rate of the k-th runs.
  const bestAt = (k: number): number => Math.max(...baselines.map((b) => b.rates[k]));
  const extra: Record<string, number | string> = {
    messages: count,
    subscribers: 4,
    spread: spread(mem.map((r) => r.f.rate)),
    peakRssBytes: Math.max(...mem.map((r) => r.rss)),
    errors: mem.filter((r) => r.f.error).length,
    'publishes retried after -5': mem.map((r) => r.f.retries ?? 0).join(', '),
    'ours: CPU per delivery': cpuPerDelivery(mem[0].f, ['server', 'local broker']),
    'ours with --push-window 4096 msg/s': `${Math.round(median(wide.map((r) => r.f.rate)))} (${spread(wide.map((r) => r.f.rate))})`,
  };
  for (const b of baselines) {
    extra[`${b.name} msg/s`] = `${Math.round(b.rate)} (${b.spread})`;
    extra[`${b.name}: CPU per delivery`] = b.cpu;
  }
  if (skipped.length > 0) extra.skipped = skipped.join('; ');
  return [
    {
      name: 'broker.fan-out',
      value: memRate,
      unit: 'delivered msg/s',
      baseline: best?.rate ?? null,
      baselineName: best ? `best of NATS, Redis, Mosquitto (${best.name})` : 'third-party servers (none installed: skipped)',
      target: best ? { ratio: 1.5 } : undefined,
      ratios: best ? mem.map((r, k) => r.f.rate / bestAt(k)) : undefined,
      extra,
    },
    {
      name: 'broker.durable',
      value: durRate,
      unit: 'delivered msg/s',
      baseline: memRate,
      baselineName: 'the in-memory fan-out run',
      target: { ratio: 0.5 },
      ratios: dur.map((r, k) => r.f.rate / mem[k].f.rate),
      extra: { spread: spread(dur.map((r) => r.f.rate)), 'CPU per delivery': cpuPerDelivery(dur[0].f, ['server', 'local broker']), peakRssBytes: Math.max(...dur.map((r) => r.rss)), errors: dur.filter((r) => r.f.error).length },
    },
  ];
}
