// The closed loop of closed-loop.ts against two servers in alternating slices, for a ratio that
// a shared machine's load moves less: one load generator holds N connections to each server and
// drives one side at a time for `sliceMs`, in the order A B B A A B B A … (so a drift in the
// machine's load, or in warm-up, favours neither side), until each side had `measureMs` of
// measured time. A burst of load from elsewhere lasting seconds then falls on both sides alike,
// where back-to-back runs of several seconds each put it on one side only.
//
// A slice: every connection of the side sends `depth` requests, each reply sends the next; the
// start of the slice fills the pipeline and is not counted: until every connection has had its
// whole pipeline answered twice (two round trips: the first touches every connection's state
// again after the other side's slice, the second runs warm), and at least FILL_MIN_MS, at most a
// third of the slice or 150 ms (so a deep pipeline is full and warm before counting starts, and a
// shallow one does not waste a third of every slice waiting); at the end
// of the slice no new request is sent and the side's replies still in flight are awaited (not
// counted) before the other side starts. Replies counted and latencies are those of the measured
// part of each slice. Prints one JSON line `{"a": <result>, "b": <result>}`, each result shaped
// like closed-loop.ts's line.

import net from 'node:net';
import { takeOldest, type InFlight, type LoadProtocol, type LoopArgs } from './closed-loop.ts';

const GRACE_MS = 3000;
/** The least time a slice's start is not counted (the burst of its first requests settles). */
const FILL_MIN_MS = 25;
/** The q-th percentile of sorted latencies (0 when there are none). */
const percentile = (sorted: Float64Array, q: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Side {
  port: number;
  conns: Conn<unknown>[];
  /** Replies counted and the measured time (ms). */
  replies: number;
  measuredMs: number;
  sent: number;
  received: number;
  errors: number;
  lat: Float64Array;
  nlat: number;
  /** Per measured slice, in order: its rate and p99 (the k-th slice of one side is next to the k-th of the other). */
  sliceRps: number[];
  sliceP99: number[];
}

interface Conn<T> extends InFlight<T> {
  sock: net.Socket;
  side: Side;
  id: number;
  n: number;
}

export interface PairArgs extends LoopArgs {
  port2: number;
  sliceMs: number;
}

/** Runs both sides, prints the JSON line and exits the process. */
export async function runInterleaved<T, R>(p: LoadProtocol<T, R>, a: PairArgs): Promise<never> {
  const mkSide = (port: number): Side => ({ port, conns: [], replies: 0, measuredMs: 0, sent: 0, received: 0, errors: 0, lat: new Float64Array(4_000_000), nlat: 0, sliceRps: [], sliceP99: [] });
  const sides = [mkSide(a.port), mkSide(a.port2)];
  let active: Side | null = null;
  /** Start of the measured part of the current slice (0: not measuring). */
  let measureFrom = 0;
  /** While a slice fills its pipeline: the active side's reply count that means full, and what to call then. */
  let fullAt = Infinity;
  let onFull: (() => void) | null = null;

  const sendOne = (c: Conn<T>): void => {
    c.times.push(performance.now());
    c.side.sent++;
    c.expect.push(p.send(c.sock, c.id, c.n++));
  };

  const onReply = (c: Conn<T>, r: R): void => {
    const t = takeOldest(c);
    const exp = c.taken;
    const side = c.side;
    side.received++;
    if (side.received >= fullAt && side === active && onFull !== null) onFull();
    if (!p.matches(exp, r)) side.errors++;
    if (side !== active) return; // the slice ended: in flight, not counted, nothing more sent
    if (measureFrom !== 0) {
      side.replies++;
      if (t >= measureFrom && side.nlat < side.lat.length) side.lat[side.nlat++] = performance.now() - t;
    }
    sendOne(c);
  };

  const connect = (side: Side, id: number): Promise<Conn<T>> =>
    new Promise((resolve, reject) => {
      const sock = net.connect({ port: side.port, host: a.host, noDelay: true });
      const c: Conn<T> = { sock, side, id, n: 0, times: [], expect: [], head: 0, taken: undefined };
      if (p.encoding !== undefined) sock.setEncoding(p.encoding);
      sock.once('connect', () => resolve(c));
      sock.on('error', (err) => {
        side.errors++;
        reject(err);
      });
      sock.on('data', p.reader((r) => onReply(c, r)));
    });

  for (const side of sides) {
    for (let i = 0; i < a.conns; i += 100) {
      side.conns.push(...((await Promise.all(Array.from({ length: Math.min(100, a.conns - i) }, (_, k) => connect(side, i + k)))) as Conn<unknown>[]));
    }
  }

  /** Resolves once the active side has `count` replies in all, or after `capMs`. */
  const filled = (count: number, capMs: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        fullAt = Infinity;
        onFull = null;
        resolve();
      };
      const timer = setTimeout(done, capMs);
      fullAt = count;
      onFull = done;
    });

  /** One slice of `side`: measured once its pipeline is full (see the header) when `measure`; then drained. */
  const slice = async (side: Side, ms: number, measure: boolean): Promise<void> => {
    active = side;
    const start = performance.now();
    const full = filled(side.received + 2 * side.conns.length * a.depth, Math.min(150, ms / 3));
    for (const c of side.conns as Conn<T>[]) for (let d = 0; d < a.depth; d++) sendOne(c);
    await full;
    const settled = performance.now() - start;
    if (settled < FILL_MIN_MS) await sleep(FILL_MIN_MS - settled);
    if (measure) measureFrom = performance.now();
    const replies0 = side.replies;
    const lat0 = side.nlat;
    await sleep(ms - (performance.now() - start));
    if (measure) {
      const took = performance.now() - measureFrom;
      side.measuredMs += took;
      side.sliceRps.push((side.replies - replies0) / (took / 1000));
      side.sliceP99.push(percentile(side.lat.slice(lat0, side.nlat).sort(), 99));
    }
    measureFrom = 0;
    active = null;
    const by = Date.now() + GRACE_MS;
    while (side.received < side.sent && Date.now() < by) await sleep(1);
  };

  const order = [0, 1, 1, 0];
  // Warm-up: both sides, in the same alternation, not measured.
  const warmSlice = Math.max(50, Math.min(a.sliceMs, a.warmupMs / 2));
  for (let i = 0; i * warmSlice < a.warmupMs * 2 || i % 4 !== 0; i++) await slice(sides[order[i % 4]], warmSlice, false);
  const cpu0 = process.cpuUsage();
  for (let i = 0; sides[0].measuredMs < a.measureMs || sides[1].measuredMs < a.measureMs || i % 4 !== 0; i++) {
    await slice(sides[order[i % 4]], a.sliceMs, true);
  }
  const cpu = process.cpuUsage(cpu0);
  for (const side of sides) for (const c of side.conns) c.sock.destroy();
  const result = (s: Side): Record<string, number | number[]> => {
    const l = s.lat.subarray(0, s.nlat).sort();
    const pct = (q: number): number => percentile(l, q);
    return {
      connections: a.conns,
      depth: a.depth,
      rps: s.replies / (s.measuredMs / 1000),
      requests: s.replies,
      p50: pct(50),
      p90: pct(90),
      p99: pct(99),
      max: s.nlat ? l[s.nlat - 1] : 0,
      errors: s.errors,
      lost: s.sent - s.received,
      // The load generator's CPU over both sides, per reply counted.
      clientCpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, sides[0].replies + sides[1].replies),
      sliceRps: s.sliceRps,
      sliceP99: s.sliceP99,
    };
  };
  process.stdout.write(`${JSON.stringify({ a: result(sides[0]), b: result(sides[1]) })}\n`);
  process.exit(0);
}
