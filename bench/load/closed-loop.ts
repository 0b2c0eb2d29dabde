// The closed loop shared by the request/response load generators (bench/load/client.ts for the
// dispatcher, bench/load/ed-client.ts for the event dispatcher): N connections, each keeping
// `depth` requests outstanding, for a warm-up and then a measured window; each reply sends the
// next request. A protocol says how a request is written, how replies are cut from the byte
// stream and whether a reply answers its request; the loop does the rest, the same for both.
// Prints one JSON line: requests/s, latency percentiles, errors (socket errors, replies that do
// not match their request) and lost replies (sent, never answered within the grace period after
// the window), and the client's own CPU per reply.
//
// The warm-up starts once every connection has had a reply; only requests sent inside the
// measured window count for latency. With LOAD_PHASES=1 in its environment it also prints
// `{"phase":"measure"}` and `{"phase":"end"}` lines as the measured window opens and closes, so a
// parent can read its server's CPU over exactly that window (bench/dispatcher-cpu.ts).

import net from 'node:net';

export interface LoadProtocol<T, R> {
  /** Socket encoding (replies come as strings), or none (Buffers). */
  encoding?: BufferEncoding;
  /** Writes request `n` of connection `conn`; returns what its reply must match. */
  send(sock: net.Socket, conn: number, n: number): T;
  /** A reader for one connection: cuts its chunks into replies, handing each to `reply` in order. */
  reader(reply: (r: R) => void): (chunk: Buffer & string) => void;
  /** Whether `r` answers the request whose `send` returned `expected`. */
  matches(expected: T | undefined, r: R): boolean;
}

export interface LoopArgs {
  port: number;
  host: string;
  conns: number;
  depth: number;
  warmupMs: number;
  measureMs: number;
}

/** `<port> <connections> <depth> <warmupMs> <measureMs> [host]` */
export function loopArgs(argv: string[]): LoopArgs {
  const [port, conns, depth, warmupMs, measureMs, host = '127.0.0.1'] = argv;
  return { port: Number(port), host, conns: Number(conns), depth: Number(depth), warmupMs: Number(warmupMs), measureMs: Number(measureMs) };
}

const GRACE_MS = 3000;

/** A connection's requests in flight, FIFO: each one's send time and expected reply. */
export interface InFlight<T> {
  times: number[];
  expect: T[];
  head: number;
  /** The expected reply of the request `takeOldest` took last. */
  taken: T | undefined;
}

/** Takes the oldest request in flight (its expected reply left in `c.taken`) and returns its send time. */
export function takeOldest<T>(c: InFlight<T>): number {
  const i = c.head++;
  const t = c.times[i];
  c.taken = c.expect[i];
  if (c.head > 1024) {
    c.times.splice(0, c.head);
    c.expect.splice(0, c.head);
    c.head = 0;
  }
  return t;
}

interface Conn<T> extends InFlight<T> {
  sock: net.Socket;
  id: number;
  n: number;
  replies: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the loop, prints its JSON line and exits the process. */
export async function runClosedLoop<T, R>(p: LoadProtocol<T, R>, a: LoopArgs): Promise<never> {
  let phase: 'warmup' | 'measure' | 'drain' = 'warmup';
  let measuredStart = 0;
  let measured = 0;
  let errors = 0;
  let sent = 0;
  let received = 0;
  const lat = new Float64Array(8_000_000);
  let nlat = 0;
  let answeredConns = 0;

  const sendOne = (c: Conn<T>): void => {
    c.times.push(performance.now());
    sent++;
    c.expect.push(p.send(c.sock, c.id, c.n++));
  };

  const onReply = (c: Conn<T>, r: R): void => {
    const t = takeOldest(c);
    const exp = c.taken;
    received++;
    if (!p.matches(exp, r)) errors++;
    if (c.replies++ === 0) answeredConns++;
    if (phase === 'measure') {
      measured++;
      // latencies of requests sent inside the measured window only
      if (t >= measuredStart && nlat < lat.length) lat[nlat++] = performance.now() - t;
    }
    if (phase !== 'drain') sendOne(c);
  };

  const connect = (id: number): Promise<Conn<T>> =>
    new Promise((resolve, reject) => {
      const sock = net.connect({ port: a.port, host: a.host, noDelay: true });
      const c: Conn<T> = { sock, id, n: 0, times: [], expect: [], head: 0, taken: undefined, replies: 0 };
      if (p.encoding !== undefined) sock.setEncoding(p.encoding);
      sock.once('connect', () => resolve(c));
      sock.on('error', (err) => {
        errors++;
        reject(err);
      });
      sock.on('data', p.reader((r) => onReply(c, r)));
    });

  const all: Conn<T>[] = [];
  for (let i = 0; i < a.conns; i += 100) {
    all.push(...(await Promise.all(Array.from({ length: Math.min(100, a.conns - i) }, (_, k) => connect(i + k)))));
  }
  for (const c of all) for (let d = 0; d < a.depth; d++) sendOne(c);
  // Warm-up starts once every connection has been served (the server has accepted them all).
  const readyBy = Date.now() + 30_000;
  while (answeredConns < a.conns && Date.now() < readyBy) await sleep(10);
  await sleep(a.warmupMs);
  const phases = process.env.LOAD_PHASES === '1';
  if (phases) process.stdout.write('{"phase":"measure"}\n');
  phase = 'measure';
  measuredStart = performance.now();
  const measuredSentStart = sent;
  const cpu0 = process.cpuUsage();
  await sleep(a.measureMs);
  const elapsed = performance.now() - measuredStart;
  const cpu = process.cpuUsage(cpu0);
  if (phases) process.stdout.write('{"phase":"end"}\n');
  const rps = measured / (elapsed / 1000);
  phase = 'drain';
  const graceEnd = Date.now() + GRACE_MS;
  while (received < sent && Date.now() < graceEnd) await sleep(20);
  const lost = sent - received;
  for (const c of all) c.sock.destroy();
  const l = lat.subarray(0, nlat).sort();
  const pct = (q: number): number => (nlat === 0 ? 0 : l[Math.min(nlat - 1, Math.floor((q / 100) * nlat))]);
  const line = {
    connections: a.conns,
    depth: a.depth,
    rps,
    requests: measured,
    sentInWindow: sent - measuredSentStart,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: nlat ? l[nlat - 1] : 0,
    errors,
    lost,
    clientCpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, measured),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  process.exit(0);
}
