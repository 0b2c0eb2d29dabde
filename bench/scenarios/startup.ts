// Start-up (performance.md): whole `actor-runtime` processes as a user starts them (the installed
// command, bin/actor-runtime.mjs, with a warm compile cache), timed from spawn to the moment that
// matters, against `node -e 0` with the same Node in the same run. Every start of a case is the same
// command line with the same files (one port per case), as a user's next start of a command is, so
// the start-up caches (README "Start-up caches") are warm too, though each start's environment
// differs as a new terminal's does; ACTOR_RUNTIME_CACHE=0 in the bench's
// environment measures starts without them:
//   --help to its exit (≤ 2x); a one-shot tool to its first byte on the wire (≤ 3x); a server
//   to listening (≤ 4x). Peak resident memory is reported for each.
//
// To add a command (e.g. `broker publish`), add a case to STARTUP_CASES: what to run (given a
// loopback port, a Unix socket path and a scratch folder) and what to wait for.
//
// Before and after: STARTUP_COMPARE=<another checkout>/bin/actor-runtime.mjs also starts that
// command in every round (interleaved with ours and `node -e 0`, order alternating) and reports it
// as `startup.<case>.compare`, so a change is measured against the code it replaces in one run.
// STARTUP_ONLY=<case,...> runs only those cases.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

const BIN = fileURLToPath(new URL('../../bin/actor-runtime.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ECHO = fileURLToPath(new URL('../load/echo-handler.ts', import.meta.url));
/** Another checkout's command measured beside ours (before/after), or null. */
const COMPARE = process.env.STARTUP_COMPARE || null;
/** STARTUP_ONLY=dispatcher,help: only these cases (a targeted measurement); all when unset. */
const ONLY = process.env.STARTUP_ONLY ? new Set(process.env.STARTUP_ONLY.split(',')) : null;

export interface CaseContext {
  /** A free loopback port: the server's port, or where a one-shot tool sends (the bench listens there). */
  port: number;
  /** A scratch folder, removed after the scenario. */
  dir: string;
  /** A Unix socket path in `dir`: where a `first-byte` case with `unix` sends (the bench listens there). */
  socket: string;
}

export interface StartupCase {
  name: string;
  /** Arguments after `actor-runtime`. */
  args(c: CaseContext): string[];
  /** `exit`: the process ends by itself; `first-byte`: the bench listens on `port` for it; `listening`: it listens on `port`. */
  until: 'exit' | 'first-byte' | 'listening';
  /** `first-byte` on the Unix socket `socket` instead of the loopback `port` (e.g. the broker's clients). */
  unix?: boolean;
  target: number;
}

export const STARTUP_CASES: StartupCase[] = [
  { name: 'help', args: () => ['--help'], until: 'exit', target: 2 },
  {
    name: 'lottery-agency',
    args: (c) => ['lottery', 'agency', '--id', '1', '--server', `127.0.0.1:${c.port}`, '--file', agencyFile(c.dir), '--log-level', 'ERROR'],
    until: 'first-byte',
    target: 3,
  },
  {
    name: 'lottery-server',
    args: (c) => ['lottery', 'server', '--host', '127.0.0.1', '--port', String(c.port), '--agencies', '1', '--data', c.dir, '--log-level', 'ERROR'],
    until: 'listening',
    target: 4,
  },
  // As a user starts one: `run` on a dispatcher file (the adopter picks its threads), control socket on.
  { name: 'dispatcher', args: (c) => ['run', dispatcherFile(c)], until: 'listening', target: 4 },
  // One-shot tools: the event dispatcher's `signal` (over TCP, so the bench sees its byte) and a broker client op.
  { name: 'signal', args: (c) => ['signal', '--type', 'tcp', '--host', `127.0.0.1:${c.port}`, 'example/HELLO'], until: 'first-byte', target: 3 },
  { name: 'broker-create', args: (c) => ['broker', 'create', '--socket', c.socket], until: 'first-byte', unix: true, target: 3 },
];

function agencyFile(dir: string): string {
  const f = join(dir, 'agency-1.csv');
  writeFileSync(f, 'Santiago Lionel,Lorca,30904465,1999-03-17,2201\r\n');
  return f;
}

/**
 * One dispatcher in the native format (dispatcher.md §2: `{"Version": 2, "Dispatchers": [...]}`),
 * started with `run <file>` as its README shows: the adopter decides the threads (a dispatcher of its
 * own file runs on the main thread), every other key takes its default (20 groups, 1500 connections).
 */
function dispatcherFile(c: CaseContext): string {
  const f = join(c.dir, `dispatcher-${c.port}.json`);
  const dispatcher = {
    Name: 'echo',
    IP: '127.0.0.1',
    Port: c.port,
    Allow: ['127.0.0.1/32'],
    Framing: 'length32',
    Protocol: 'json',
    Handler: { Kind: 'module', Module: ECHO, Export: 'handle' },
    Workers: { Min: 1, Max: 1 },
    LockFile: join(c.dir, `d-${c.port}.lock`),
  };
  writeFileSync(f, `${JSON.stringify({ Version: 2, Dispatchers: [dispatcher] }, null, 2)}\n`);
  return f;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Peak resident set of a live process (Linux), in MB; null elsewhere. */
function peakRssMb(pid: number | undefined): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Resolves when something accepts on the port (polled every millisecond; a refused connect costs microseconds). */
function whenListening(port: number, child: ChildProcess, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const tryOnce = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`exited with ${child.exitCode ?? child.signalCode} before listening`));
      if (Date.now() > deadline) return reject(new Error('not listening in time'));
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => setTimeout(tryOnce, 1));
    };
    tryOnce();
  });
}

interface Sample {
  ms: number;
  rssMb: number | null;
}

// VmHWM, not resourceUsage().maxRSS: Linux carries a process's peak RSS from before its exec (here
// the forked runner's, ~130 MB) into ru_maxrss, so every exiting case read the runner's size.
const EXIT_RSS_HOOK =
  "process.on('exit',()=>{const m=/VmHWM:\\s+(\\d+)/.exec(process.getBuiltinModule('fs').readFileSync('/proc/self/status','utf8'));process.stderr.write('\\nmaxrss '+(m?m[1]:0)+'\\n')})";

/** One timed start of `argv` (spawn to the case's moment). The process is killed afterwards (after it settles, with `settle`). */
/** Starts so far (each is given a shell's environment of its own). */
let starts = 0;

async function sample(argv: string[], until: StartupCase['until'], port: number, measureRss = false, socket?: string, settle = false): Promise<Sample> {
  const timeoutMs = 30_000;
  let firstByte: Promise<void> | null = null;
  let sink: net.Server | null = null;
  if (until === 'first-byte') {
    sink = net.createServer();
    firstByte = new Promise((resolve) => sink!.on('connection', (s) => s.once('data', () => (resolve(), s.destroy())).on('error', () => {})));
    if (socket !== undefined) rmSync(socket, { force: true });
    await new Promise<void>((r) => (socket !== undefined ? sink!.listen(socket, r) : sink!.listen(port, '127.0.0.1', r)));
  }
  // Each start as from a shell of its own: variables a new terminal changes (OLDPWD, SHLVL, a
  // session id) differ from start to start. With one fixed environment, a cache keyed on all of it
  // hit every time here while a user's --help in a new terminal missed (~45 ms instead of ~25).
  const shell = ++starts;
  const env = { ...process.env, LOG_LEVEL: 'error', OLDPWD: `/tmp/shell-${shell}`, ACTOR_RUNTIME_BENCH_SESSION: String(shell) };
  // The RSS of a process that exits by itself is read by an --import hook in a separate, untimed run.
  const args = measureRss && until === 'exit' ? ['--import', `data:text/javascript,${encodeURIComponent(EXIT_RSS_HOOK)}`, ...argv] : argv;
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    let ms: number;
    let rssMb: number | null = null;
    if (until === 'exit') {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      ms = performance.now() - t0;
      if (code !== 0) throw new Error(`exit code ${code}: ${stderr.trim().split('\n').pop()}`);
      const m = /maxrss (\d+)/.exec(stderr);
      if (m) rssMb = Math.round(Number(m[1]) / 1024);
    } else if (until === 'first-byte') {
      const failed = exited.then((code) => Promise.reject(new Error(`exited with ${code} before sending: ${stderr.trim().split('\n').pop()}`)));
      const timer = new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no byte in time')), timeoutMs).unref());
      await Promise.race([firstByte!, failed, timer]);
      ms = performance.now() - t0;
      rssMb = peakRssMb(child.pid);
    } else {
      await whenListening(port, child, Date.now() + timeoutMs);
      ms = performance.now() - t0;
      rssMb = peakRssMb(child.pid);
    }
    return { ms, rssMb };
  } finally {
    // A warm-up lets a one-shot tool end by itself (up to 5 s): Node writes a process's new
    // compile-cache entries only at a normal exit, so a tool killed at its first byte never
    // warms the cache that a user's earlier run would have.
    if (settle && child.exitCode === null && child.signalCode === null) await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    removeControlSocket(child.pid);
    // Closed before the next start listens on the same port.
    if (sink) await new Promise<void>((r) => sink!.close(() => r()));
  }
}

/** A `run` ended by kill -9 leaves its control socket (`<tmp>/actor-runtime/<name>.<pid>.sock`): removed here, not left to pile up. */
function removeControlSocket(pid: number | undefined): void {
  if (pid === undefined) return;
  const dir = join(tmpdir(), 'actor-runtime');
  try {
    for (const f of readdirSync(dir)) if (f.endsWith(`.${pid}.sock`)) rmSync(join(dir, f), { force: true });
  } catch {
    // no folder: nothing was left
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function run(o: ScenarioOptions): Promise<ScenarioResult[]> {
  const n = o.quick ? 7 : 9;
  const dir = mkdtempSync(join(tmpdir(), 'startup-bench-'));
  const results: ScenarioResult[] = [];
  try {
    const node = async (): Promise<number> => (await sample(['-e', '0'], 'exit', 0)).ms;
    for (const c of STARTUP_CASES.filter((x) => ONLY === null || ONLY.has(x.name))) {
      const socket = join(dir, `${c.name}.sock`);
      // One port per case, for every start of it: each start is the same command line with the same
      // files, as a user's next start is (the start-up caches, README "Start-up caches", apply;
      // `ACTOR_RUNTIME_CACHE=0 … bench startup` measures starts without them).
      const port = await freePort();
      const argv = (): string[] => [BIN, ...c.args({ port, dir, socket })];
      const unix = c.unix ? socket : undefined;
      // Warm-up: fills the compile cache and the start-up caches (a user's second start onwards).
      await sample(argv(), c.until, port, false, unix, true);
      const ours: number[] = [];
      const base: number[] = [];
      const other: number[] = [];
      const otherArgv = (): string[] => [COMPARE!, ...c.args({ port, dir, socket })];
      if (COMPARE) await sample(otherArgv(), c.until, port, false, unix, true);
      // Interleaved, so that a burst of load elsewhere on the machine hits both alike.
      for (let i = 0; i < n; i++) {
        base.push(await node());
        const mine = async (): Promise<void> => {
          ours.push((await sample(argv(), c.until, port, false, unix)).ms);
        };
        const theirs = async (): Promise<void> => {
          other.push((await sample(otherArgv(), c.until, port, false, unix)).ms);
        };
        if (!COMPARE) await mine();
        else if (i % 2 === 0) await mine().then(theirs);
        else await theirs().then(mine);
      }
      const rss = await sample(argv(), c.until, port, true, unix);
      const baseRss = await sample(['-e', '0'], 'exit', 0, true);
      const value = median(ours);
      const baseline = median(base);
      results.push({
        name: `startup.${c.name}`,
        value,
        unit: 'ms',
        baseline,
        baselineName: 'node -e 0',
        target: { ratio: c.target },
        lowerIsBetter: true,
        ratios: ours.map((v, i) => v / base[i]),
        extra: { until: c.until, samples: n, minMs: Math.min(...ours), maxMs: Math.max(...ours), peakRssMb: rss.rssMb ?? '-', baselinePeakRssMb: baseRss.rssMb ?? '-' },
      });
      if (COMPARE) {
        const otherRss = await sample(otherArgv(), c.until, port, true, unix);
        results.push({
          name: `startup.${c.name}.compare`,
          value: median(other),
          unit: 'ms',
          baseline,
          baselineName: 'node -e 0',
          lowerIsBetter: true,
          ratios: other.map((v, i) => v / base[i]),
          extra: { command: COMPARE, until: c.until, samples: n, peakRssMb: otherRss.rssMb ?? '-' },
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
