// Dispatcher scenarios (performance.md): request/response over TCP with 4-byte length framing,
// 64-byte requests, an in-process echo handler, closed loop at depth 1 and depth 8, with 50 and
// with 1000 connections. Baseline, measured in the same run with the same load generator: a
// plain Node `net` echo server with the same framing. The load generator runs in its own child
// process (bench/load/client.ts) and drives ours and the baseline in alternating slices of a
// fraction of a second (bench/load/interleaved.ts), so a burst of load from elsewhere on a shared
// machine falls on both alike; each run of a case gives one paired ratio.
//
// `dispatcher`: the echo handler placed inline (on the I/O thread; it declares itself
// non-blocking): ≥ 0.9x at depth 1, ≥ 1.0x at depth 8. `dispatcher-module`: the same handler on
// a handler thread (`module` placement): ≥ 0.8x. Both: p99 ≤ 2x the baseline's, no errors, no
// lost replies.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorSystem, loggerFor } from '../../runtime/index.ts';
import { startDispatchers } from '../../actors/dispatcher/index.ts';
import { startEchoServer } from '../load/echo-server.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

const CLIENT = fileURLToPath(new URL('../load/client.ts', import.meta.url));
const ECHO = fileURLToPath(new URL('../load/echo-handler.ts', import.meta.url));

export interface LoadResult {
  connections: number;
  depth: number;
  rps: number;
  requests: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  lost: number;
  /** The load generator's own CPU per reply (µs). */
  clientCpuUsPerReq: number;
  /** Interleaved runs (loadPair): each measured slice's rate and p99, in order. */
  sliceRps?: number[];
  sliceP99?: number[];
}

/**
 * The paired samples of an interleaved run: the k-th slice of one side ran next to the k-th of the
 * other (A B B A), so each pair is a ratio measured back to back, under the same load. A quick run
 * has 4-6 pairs per case per run, a full one 10-12, where one ratio per run gave a quick run 3
 * samples and a full one 5: too few for a range that a quick median could be checked against.
 */
function slicePairs(ours: number[] | undefined, base: number[] | undefined): number[] | undefined {
  if (!ours || !base || ours.length === 0) return undefined;
  const out: number[] = [];
  for (let i = 0; i < Math.min(ours.length, base.length); i++) if (ours[i] > 0 && base[i] > 0) out.push(ours[i] / base[i]);
  return out.length > 0 ? out : undefined;
}

/** Runs the load generator (client.ts) with `args` and resolves with the JSON of its last line; `onData` sees its output as it comes. */
function runLoadGenerator<T>(args: string[], env: NodeJS.ProcessEnv, onData?: (s: string) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      out += s;
      onData?.(s);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/**
 * Runs the load generator in a child process against a port. `onPhase`: called as its measured
 * window opens ('measure') and closes ('end').
 */
export function load(port: number, connections: number, depth: number, warmupMs: number, measureMs: number, onPhase?: (phase: 'measure' | 'end') => void): Promise<LoadResult> {
  const args = [String(port), String(connections), String(depth), String(warmupMs), String(measureMs)];
  if (onPhase === undefined) return runLoadGenerator(args, process.env);
  return runLoadGenerator(args, { ...process.env, LOAD_PHASES: '1' }, (s) => {
    if (!s.includes('"phase"')) return;
    if (s.includes('"phase":"measure"')) onPhase('measure');
    if (s.includes('"phase":"end"')) onPhase('end');
  });
}

/**
 * Runs the load generator against two servers at once, in alternating slices (interleaved.ts):
 * `a` and `b` are measured over the same stretch of time.
 */
export function loadPair(portA: number, portB: number, connections: number, depth: number, warmupMs: number, measureMs: number, sliceMs: number): Promise<{ a: LoadResult; b: LoadResult }> {
  return runLoadGenerator([String(portA), String(connections), String(depth), String(warmupMs), String(measureMs), '--pair', String(portB), String(sliceMs)], process.env);
}

export interface DispatcherUnderTest {
  port: number;
  stop(): Promise<void>;
}

export type Placement = 'inline' | 'thread';

/** Our dispatcher: length32, json protocol, the echo module handler inline or on one handler thread. */
export async function startOurs(placement: Placement = 'inline'): Promise<DispatcherUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'dispatcher-bench-'));
  const sys = await ActorSystem.start({ threads: 1, logLevel: 'error' });
  const net = await import('node:net');
  const port = await new Promise<number>((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
  const section = await startDispatchers(
    sys,
    {
      instances: [
        {
          Name: 'bench',
          IP: '127.0.0.1',
          Port: port,
          NumThreads: 4,
          MaxConnections: 2000,
          StopTimeout: 1,
          LogLevel: 2,
          Framing: 'length32',
          Protocol: 'json',
          Allow: ['127.0.0.1'],
          Handler: { Kind: 'module', Module: ECHO, Export: 'handle', Concurrency: 16384, Placement: placement },
          Workers: { Min: 1, Max: 1 },
          QueueCapacity: 100_000,
          MaxInFlightPerConnection: 64,
          Backlog: 2048,
          LockFile: join(dir, 'bench.lock'),
        },
      ],
    },
    { file: join(dir, 'bench.yaml'), dir, log: loggerFor('bench') },
  );
  return {
    port,
    async stop() {
      await section.beforeStop?.();
      await sys.stop(3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function rows(name: string, ours: LoadResult, base: LoadResult, rssMb: number, rpsTarget: number): ScenarioResult[] {
  const extra = {
    p50Ms: ours.p50,
    p99Ms: ours.p99,
    baselineP99Ms: base.p99,
    errors: ours.errors,
    lost: ours.lost,
    baselineErrors: base.errors,
    baselineLost: base.lost,
    peakRssMb: rssMb,
  };
  return [
    { name: `${name}.rps`, value: ours.rps, unit: 'req/s', baseline: base.rps, baselineName: 'net echo server', target: { ratio: rpsTarget }, ratios: slicePairs(ours.sliceRps, base.sliceRps), extra },
    { name: `${name}.p99`, value: ours.p99, unit: 'ms', baseline: base.p99, baselineName: 'net echo server', target: { ratio: 2 }, lowerIsBetter: true, ratios: slicePairs(ours.sliceP99, base.sliceP99), extra },
    { name: `${name}.errors+lost`, value: ours.errors + ours.lost, unit: 'requests', baseline: null, baselineName: '', target: { max: 0 }, lowerIsBetter: true },
  ];
}

/** Runs of runPlacement in this process, when no round is given (the order of each pair alternates with the round). */
let runsSoFar = 0;

export async function runPlacement(o: ScenarioOptions, placement: Placement): Promise<ScenarioResult[]> {
  /**
   * Warm-up and measured time per side; slices alternate A B B A (interleaved.ts). Quick: four
   * slices per side of about 350 measured ms each (a slice counts once its pipeline is full), so
   * a case takes about 5 s and the whole quick run (three runs) about 80 s. Its warm-up is 1 s,
   * not 0.3: with 0.3 s every quick c50 ratio read 0.01-0.04x under the full run's range (our
   * server's code was still tiering up); with 1 s two quick runs fell inside the ranges of a full
   * run of the same hour, or within 0.005x of their edges.
   */
  const warmup = o.quick ? 1000 : 1500;
  const measure = o.quick ? 1300 : 5000;
  const slice = o.quick ? 375 : 600;
  const cases: [number, number][] = [
    [50, 1],
    [50, 8],
    [1000, 1],
    [1000, 8],
  ];
  const results: ScenarioResult[] = [];
  // Both servers are up at once (an idle one costs nothing) so each case is measured back to back.
  const baseline = await startEchoServer();
  const ours = await startOurs(placement).catch(async (err) => {
    await baseline.close();
    throw err;
  });
  const base: LoadResult[] = [];
  const mine: LoadResult[] = [];
  // Which side takes the first slice alternates from case to case and from run to run (the
  // slices go A B B A, so neither side is favoured by a drift in the machine's load anyway).
  const flip = (o.round ?? runsSoFar++) % 2 === 1;
  try {
    for (const [i, [c, d]] of cases.entries()) {
      if ((i % 2 === 1) !== flip) {
        const r = await loadPair(baseline.port, ours.port, c, d, warmup, measure, slice);
        base.push(r.a);
        mine.push(r.b);
      } else {
        const r = await loadPair(ours.port, baseline.port, c, d, warmup, measure, slice);
        mine.push(r.a);
        base.push(r.b);
      }
    }
  } finally {
    await baseline.close();
    await ours.stop();
  }
  const rss = Math.round(process.resourceUsage().maxRSS / 1024);
  const prefix = placement === 'inline' ? 'dispatcher.inline' : 'dispatcher.module';
  const target = (d: number): number => (placement === 'inline' ? (d === 1 ? 0.9 : 1.0) : 0.8);
  cases.forEach(([c, d], i) => results.push(...rows(`${prefix}.c${c}.d${d}`, mine[i], base[i], rss, target(d))));
  return results;
}

export function run(o: ScenarioOptions): Promise<ScenarioResult[]> {
  return runPlacement(o, 'inline');
}

// `node bench/scenarios/dispatcher.ts [--quick]` prints the rows.
if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run({ quick: process.argv.includes('--quick') });
  for (const x of r) {
    const ratio = x.baseline ? (x.value / x.baseline).toFixed(2) : '-';
    process.stdout.write(`${x.name.padEnd(32)} ${x.value.toFixed(1).padStart(10)} ${x.unit.padEnd(8)} baseline ${x.baseline?.toFixed(1) ?? '-'}  ratio ${ratio}\n`);
  }
}
