// Closed-loop load generator for the dispatcher benchmark (performance.md): N connections, each
// keeping `depth` 64-byte length32 requests outstanding, for a warm-up and then a measured
// window. Runs in its own process. Prints one JSON line: requests/s, latency percentiles, errors
// (socket errors, replies that do not match their request) and lost replies (sent, never answered
// within the grace period after the window).
//
// The warm-up starts once every connection has had a reply; only requests sent inside the
// measured window count for latency.
//
//   node bench/load/client.ts <port> <connections> <depth> <warmupMs> <measureMs> [host]

import net from 'node:net';

const [portS, connsS, depthS, warmupS, measureS, host = '127.0.0.1'] = process.argv.slice(2);
const port = Number(portS);
const conns = Number(connsS);
const depth = Number(depthS);
const warmupMs = Number(warmupS);
const measureMs = Number(measureS);
const PAYLOAD = 64;
const GRACE_MS = 3000;

/** A 64-byte compact JSON request with a per-connection counter (so replies can be checked). */
function request(conn: number, n: number): Buffer {
  const head = `{"c":${conn},"n":${n},"p":"`;
  const pad = PAYLOAD - head.length - 2;
  const body = `${head}${'x'.repeat(Math.max(0, pad))}"}`;
  const b = Buffer.allocUnsafe(4 + body.length);
  b.writeUInt32BE(body.length, 0);
  b.write(body, 4, 'latin1');
  return b;
}

let phase: 'warmup' | 'measure' | 'drain' = 'warmup';
let measuredStart = 0;
let measured = 0;
let errors = 0;
let sent = 0;
let received = 0;
const lat = new Float64Array(8_000_000);
let nlat = 0;
let answeredConns = 0;

interface Conn {
  sock: net.Socket;
  id: number;
  n: number;
  /** send times and expected replies, FIFO */
  times: number[];
  expect: Buffer[];
  head: number;
  buf: Buffer | null;
  replies: number;
}

function sendOne(c: Conn): void {
  const b = request(c.id, c.n++);
  c.times.push(performance.now());
  c.expect.push(b);
  sent++;
  c.sock.write(b);
}

function onReply(c: Conn, payload: Buffer): void {
  const i = c.head++;
  const t = c.times[i];
  const exp = c.expect[i];
  if (c.head > 1024) {
    c.times.splice(0, c.head);
    c.expect.splice(0, c.head);
    c.head = 0;
  }
  received++;
  if (exp === undefined || !payload.equals(exp.subarray(4))) errors++;
  if (c.replies++ === 0) answeredConns++;
  if (phase === 'measure') {
    measured++;
    // latencies of requests sent inside the measured window only
    if (t >= measuredStart && nlat < lat.length) lat[nlat++] = performance.now() - t;
  }
  if (phase !== 'drain') sendOne(c);
}

function onData(c: Conn, chunk: Buffer): void {
  let b = c.buf === null ? chunk : Buffer.concat([c.buf, chunk]);
  let off = 0;
  while (b.length - off >= 4) {
    const len = b.readUInt32BE(off);
    if (b.length - off - 4 < len) break;
    onReply(c, b.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  c.buf = off === b.length ? null : b.subarray(off);
}

function connect(id: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host, noDelay: true });
    const c: Conn = { sock, id, n: 0, times: [], expect: [], head: 0, buf: null, replies: 0 };
    sock.once('connect', () => resolve(c));
    sock.on('error', (err) => {
      errors++;
      reject(err);
    });
    sock.on('data', (chunk: Buffer) => onData(c, chunk));
  });
}

const all: Conn[] = [];
for (let i = 0; i < conns; i += 100) {
  const batch = await Promise.all(Array.from({ length: Math.min(100, conns - i) }, (_, k) => connect(i + k)));
  all.push(...batch);
}
for (const c of all) for (let d = 0; d < depth; d++) sendOne(c);
// Warm-up starts once every connection has been served (the server has accepted them all).
const readyBy = Date.now() + 30_000;
while (answeredConns < conns && Date.now() < readyBy) await new Promise((r) => setTimeout(r, 10));
await new Promise((r) => setTimeout(r, warmupMs));
phase = 'measure';
measuredStart = performance.now();
const measuredSentStart = sent;
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, measureMs));
const elapsed = performance.now() - measuredStart;
const cpu = process.cpuUsage(cpu0);
const rps = measured / (elapsed / 1000);
phase = 'drain';
const graceEnd = Date.now() + GRACE_MS;
while (received < sent && Date.now() < graceEnd) await new Promise((r) => setTimeout(r, 20));
const lost = sent - received;
for (const c of all) c.sock.destroy();
const l = lat.subarray(0, nlat).sort();
const pct = (p: number): number => (nlat === 0 ? 0 : l[Math.min(nlat - 1, Math.floor((p / 100) * nlat))]);
process.stdout.write(
  `${JSON.stringify({ connections: conns, depth, rps, requests: measured, sentInWindow: sent - measuredSentStart, p50: pct(50), p90: pct(90), p99: pct(99), max: nlat ? l[nlat - 1] : 0, errors, lost, clientCpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, measured) })}\n`,
);
process.exit(0);
