// Event dispatcher scenarios (issue 14):
// - tcp: messages parsed, dispatched and answered per second (`ALIVE serial=n` -> ABSOLUTELY by
//   the built-in) over 1 connection and over 100, closed loop, runs interleaved with the baseline
//   and the best of each reported; baseline, same run, same load
//   generator (bench/load/ed-client.ts, its own process): a plain `net` server that splits the
//   same lines and writes a fixed reply line per line. Target ≥ 0.8x.
// - udp: signals received and dispatched per second by a DatagramMessageServer + dispatcher, against
//   a plain `dgram` receiver that parses nothing; the sender is its own process. Report only.
// - reconnect: time from a permanent connection's peer listening again to the connection being
//   up, with the pause list 1 (one attempt per second). Report only.

import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { ActorSystem, defineActor, loggerFor } from '../../runtime/index.ts';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { PauseDurations } from '../../runtime/io/reconnect.ts';
import { MessageServer } from '../../actors/eventdispatcher/server.ts';
import { DatagramMessageServer, messageFrom, type LinkReport } from '../../actors/eventdispatcher/links.ts';
import { Dispatcher } from '../../actors/eventdispatcher/dispatcher.ts';
import { PermanentConnection } from '../../actors/eventdispatcher/permanent.ts';
import { realClock } from '../../actors/eventdispatcher/clock.ts';
import { startLineServer } from '../load/line-server.ts';
import type { LoadResult } from './dispatcher.ts';
import { alternatedPairs, pairedRow } from './pairs.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

const CLIENT = fileURLToPath(new URL('../load/ed-client.ts', import.meta.url));
const UDP_SENDER = fileURLToPath(new URL('../load/udp-sender.ts', import.meta.url));

function child<T>(file: string, args: (string | number)[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [file, ...args.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (s: string) => (out += s));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${file} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** Window lengths; `smoke` shrinks them for a functional check that measures nothing. */
export interface Windows {
  warmupMs: number;
  measureMs: number;
  rounds: number;
  /** Interleaved baseline/ours runs per TCP case (the best of each is reported). */
  repeats: number;
  /** The UDP case: each side's window (the same in quick and full runs) and alternated pairs per run. */
  udpMs: number;
  udpPairs: number;
}

export function windows(o: ScenarioOptions): Windows {
  return { warmupMs: o.quick ? 500 : 1500, measureMs: o.quick ? 2000 : 5000, rounds: o.quick ? 3 : 8, repeats: o.quick ? 2 : 3, udpMs: 2000, udpPairs: o.quick ? 3 : 2 };
}

const progress = (what: string): void => void process.stderr.write(`eventdispatcher bench: ${what}\n`);

export async function tcpRows(w: Windows): Promise<ScenarioResult[]> {
  const warmup = w.warmupMs;
  const measure = w.measureMs;
  const cases: [number, number][] = [
    [1, 8],
    [100, 4],
  ];
  // Both servers up at once, runs interleaved (baseline, ours, baseline, ours): on a shared machine
  // the load changes over a minute, and back-to-back blocks compared different moments.
  const baseline = await startLineServer();
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'error', statsIntervalMs: 0 });
  const base: LoadResult[][] = cases.map(() => []);
  const mine: LoadResult[][] = cases.map(() => []);
  try {
    const server = sys.spawn(MessageServer, { name: 'ed-bench', props: { target: { kind: 'tcp', host: '127.0.0.1', port: 0 } } });
    const port = Number((await server.ask<string>({ t: 'await-ready' })).split(':').pop());
    for (let rep = 0; rep < w.repeats; rep++) {
      for (const [i, [c, d]] of cases.entries()) {
        progress(`tcp c${c} d${d} run ${rep + 1}: baseline, ours`);
        base[i].push(await child<LoadResult>(CLIENT, [baseline.port, c, d, warmup, measure]));
        mine[i].push(await child<LoadResult>(CLIENT, [port, c, d, warmup, measure]));
      }
    }
  } finally {
    await baseline.close();
    await sys.stop(3000);
  }
  const best = (runs: LoadResult[]): LoadResult => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
  return cases.flatMap(([c, d], i) => {
    const m = best(mine[i]);
    const b = best(base[i]);
    const extra = {
      p50Ms: m.p50,
      p99Ms: m.p99,
      baselineP99Ms: b.p99,
      runs: mine[i].map((r) => Math.round(r.rps)).join(' '),
      baselineRuns: base[i].map((r) => Math.round(r.rps)).join(' '),
    };
    const errors = mine[i].reduce((n, r) => n + r.errors + r.lost, 0);
    return [
      { name: `eventdispatcher.tcp.c${c}.d${d}.msgs`, value: m.rps, unit: 'msg/s', baseline: b.rps, baselineName: 'net line server (best of runs)', target: { ratio: 0.8 }, ratios: mine[i].map((r, k) => r.rps / base[i][k].rps), extra },
      { name: `eventdispatcher.tcp.c${c}.d${d}.errors+lost`, value: errors, unit: 'messages', baseline: null, baselineName: '', target: { max: 0 }, lowerIsBetter: true },
    ];
  });
}

/** Owns a DatagramMessageServer and dispatches what it reports (a PING match counts). */
const UdpOwner = defineActor<LinkReport | { t: 'count' } | { t: 'ready' }, { port: number }>(import.meta.url, 'UdpOwner', (props, ctx) => {
  let count = 0;
  let bound: string | null = null;
  const d = new Dispatcher({ log: ctx.log });
  d.addMatch({ expr: 'PING', callback: () => count++ });
  return {
    started() {
      ctx.spawn(DatagramMessageServer, { name: 'udp', props: { id: 'udp', target: { kind: 'udp', host: '127.0.0.1', port: props.port } } });
    },
    receive(msg) {
      if (msg.t === 'ed-msg') d.dispatch(messageFrom(msg.fields));
      else if (msg.t === 'ed-bound') bound = msg.address;
      else if (msg.t === 'count') ctx.reply(count);
      else if (msg.t === 'ready') ctx.reply(bound);
    },
  };
});

/** Alternated pairs (pairs.ts) with one window for quick and full runs: one pair per run, 2 s quick and 5 s full, read 0.99x quick against 1.04-1.16 full. */
export async function udpRows(w: Windows): Promise<ScenarioResult[]> {
  const ms = w.udpMs;
  // Baseline: a dgram receiver that counts and parses nothing.
  const baseOnce = async (): Promise<{ rate: number; sent: number; received: number }> => {
    progress('udp baseline');
    const rx = dgram.createSocket('udp4');
    let received = 0;
    rx.on('message', () => received++);
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
    const t0 = performance.now();
    const { sent } = await child<{ sent: number }>(UDP_SENDER, [rx.address().port, ms]);
    const rate = received / ((performance.now() - t0) / 1000);
    rx.close();
    return { rate, sent, received };
  };
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'error', statsIntervalMs: 0 });
  let pairs: { base: { rate: number; sent: number; received: number }[]; ours: { rate: number; sent: number; dispatched: number }[] };
  try {
    const owner = sys.spawn(UdpOwner, { name: 'udp-owner', props: { port: 0 } });
    let address: string | null = null;
    // Asks settle on microtasks: wait a tick between them so the socket's bind can complete.
    while (address === null) {
      address = await owner.ask<string | null>({ t: 'ready' });
      if (address === null) await new Promise((r) => setTimeout(r, 5));
    }
    const port = Number(address.split(':').pop());
    let counted = 0;
    const oursOnce = async (): Promise<{ rate: number; sent: number; dispatched: number }> => {
      progress('udp ours');
      const t1 = performance.now();
      const { sent } = await child<{ sent: number }>(UDP_SENDER, [port, ms]);
      const elapsed = (performance.now() - t1) / 1000;
      await new Promise((r) => setTimeout(r, 200)); // the datagrams still queued in the socket
      const total = await owner.ask<number>({ t: 'count' });
      const dispatched = total - counted;
      counted = total;
      return { rate: dispatched / elapsed, sent, dispatched };
    };
    pairs = await alternatedPairs(w.udpPairs, baseOnce, oursOnce);
  } finally {
    await sys.stop(3000);
  }
  const { base, ours } = pairs;
  return [
    pairedRow(
      { base: base.map((b) => b.rate), ours: ours.map((o) => o.rate) },
      {
        name: 'eventdispatcher.udp.signals',
        unit: 'msg/s',
        baselineName: 'dgram receiver (no parsing)',
        extra: {
          sent: ours.map((o) => o.sent).join(' '),
          dispatched: ours.map((o) => o.dispatched).join(' '),
          baselineSent: base.map((b) => b.sent).join(' '),
          baselineReceived: base.map((b) => b.received).join(' '),
        },
      },
    ),
  ];
}

export async function reconnectRows(w: Windows): Promise<ScenarioResult[]> {
  const rounds = w.rounds;
  progress('reconnect');
  const log = loggerFor('bench-reconnect');
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const listenOn = (port: number): Promise<number> =>
    new Promise((r) => {
      server = net.createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      });
      server.listen(port, '127.0.0.1', () => r((server!.address() as net.AddressInfo).port));
    });
  const port = await listenOn(0);
  let upAt = 0;
  let connected: () => void = () => {};
  const conn = new PermanentConnection({
    clock: realClock,
    policy: new PauseDurations('1'),
    log,
    attempt: (done) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('error', (err) => done(err));
      s.once('connect', () => {
        s.removeAllListeners('error');
        s.on('error', () => {});
        s.on('close', () => conn.messengerDropped());
        done({ send: (m: Message) => s.write(`${m.toMessage()}\n`), close: () => s.destroy() });
      });
    },
    connected: () => {
      upAt = performance.now();
      connected();
    },
  });
  const waitUp = (): Promise<void> => new Promise((r) => (conn.isConnected() ? r() : (connected = () => r())));
  conn.start();
  await waitUp();
  const lat: number[] = [];
  for (let i = 0; i < rounds; i++) {
    await new Promise<void>((r) => {
      server!.close(() => r());
      for (const s of sockets) s.destroy();
    });
    // The peer is away for a while (attempts fail), then returns at an arbitrary phase.
    await new Promise((r) => setTimeout(r, 1200 + Math.floor(Math.random() * 800)));
    const up = waitUp();
    await listenOn(port);
    const back = performance.now();
    await up;
    lat.push(upAt - back);
  }
  conn.stop();
  await new Promise<void>((r) => server!.close(() => r()));
  lat.sort((a, b) => a - b);
  const mean = lat.reduce((a, b) => a + b, 0) / lat.length;
  return [
    {
      name: 'eventdispatcher.reconnect.pause1s',
      value: mean,
      unit: 'ms',
      baseline: null,
      baselineName: '',
      lowerIsBetter: true,
      extra: { rounds, minMs: Math.round(lat[0]), medianMs: Math.round(lat[Math.floor(lat.length / 2)]), maxMs: Math.round(lat[lat.length - 1]) },
    },
  ];
}

export async function run(o: ScenarioOptions): Promise<ScenarioResult[]> {
  const w = windows(o);
  return [...(await tcpRows(w)), ...(await udpRows(w)), ...(await reconnectRows(w))];
}

// `node bench/scenarios/eventdispatcher.ts [--quick]` prints the rows.
if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run({ quick: process.argv.includes('--quick') });
  for (const x of r) {
    const ratio = x.baseline ? (x.value / x.baseline).toFixed(2) : '-';
    process.stdout.write(`${x.name.padEnd(40)} ${x.value.toFixed(1).padStart(10)} ${x.unit.padEnd(8)} baseline ${x.baseline?.toFixed(1) ?? '-'}  ratio ${ratio} ${JSON.stringify(x.extra ?? {})}\n`);
  }
}
