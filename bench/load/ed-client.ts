// Closed-loop load generator for the event dispatcher benchmark: N connections, each keeping
// `depth` message lines outstanding (`<bench:load ALIVE serial=<n>`), for a warm-up and then a
// measured window. Runs in its own process. A reply is any line; replies must come back in order
// (serial checked when the reply carries one). Prints one JSON line like bench/load/client.ts.
//
//   node bench/load/ed-client.ts <port> <connections> <depth> <warmupMs> <measureMs> [host]

import net from 'node:net';

const [portS, connsS, depthS, warmupS, measureS, host = '127.0.0.1'] = process.argv.slice(2);
const port = Number(portS);
const conns = Number(connsS);
const depth = Number(depthS);
const warmupMs = Number(warmupS);
const measureMs = Number(measureS);
const GRACE_MS = 3000;

let phase: 'warmup' | 'measure' | 'drain' = 'warmup';
let measuredStart = 0;
let measured = 0;
let errors = 0;
let sent = 0;
let received = 0;
const lat = new Float64Array(4_000_000);
let nlat = 0;
let answeredConns = 0;

interface Conn {
  sock: net.Socket;
  n: number;
  times: number[];
  head: number;
  expect: number;
  buf: string;
  replies: number;
}

function sendOne(c: Conn): void {
  c.times.push(performance.now());
  sent++;
  c.sock.write(`<bench:load ALIVE serial=${c.n++}\n`);
}

const SERIAL = /serial=([0-9]+)/;

function onReply(c: Conn, line: string): void {
  const t = c.times[c.head++];
  if (c.head > 1024) {
    c.times.splice(0, c.head);
    c.head = 0;
  }
  received++;
  const m = SERIAL.exec(line);
  if (m !== null && Number(m[1]) !== c.expect) errors++;
  c.expect++;
  if (c.replies++ === 0) answeredConns++;
  if (phase === 'measure') {
    measured++;
    if (t >= measuredStart && nlat < lat.length) lat[nlat++] = performance.now() - t;
  }
  if (phase !== 'drain') sendOne(c);
}

function connect(): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host, noDelay: true });
    const c: Conn = { sock, n: 0, times: [], head: 0, expect: 0, buf: '', replies: 0 };
    sock.setEncoding('latin1');
    sock.once('connect', () => resolve(c));
    sock.on('error', (err) => {
      errors++;
      reject(err);
    });
    sock.on('data', (chunk: string) => {
      const b = c.buf + chunk;
      let off = 0;
      let nl: number;
      while ((nl = b.indexOf('\n', off)) !== -1) {
        onReply(c, b.slice(off, nl));
        off = nl + 1;
      }
      c.buf = b.slice(off);
    });
  });
}

const all: Conn[] = [];
for (let i = 0; i < conns; i += 100) all.push(...(await Promise.all(Array.from({ length: Math.min(100, conns - i) }, () => connect()))));
for (const c of all) for (let d = 0; d < depth; d++) sendOne(c);
const readyBy = Date.now() + 30_000;
while (answeredConns < conns && Date.now() < readyBy) await new Promise((r) => setTimeout(r, 10));
await new Promise((r) => setTimeout(r, warmupMs));
phase = 'measure';
measuredStart = performance.now();
await new Promise((r) => setTimeout(r, measureMs));
const elapsed = performance.now() - measuredStart;
const rps = measured / (elapsed / 1000);
phase = 'drain';
const graceEnd = Date.now() + GRACE_MS;
while (received < sent && Date.now() < graceEnd) await new Promise((r) => setTimeout(r, 20));
const lost = sent - received;
for (const c of all) c.sock.destroy();
const l = lat.subarray(0, nlat).sort();
const pct = (p: number): number => (nlat === 0 ? 0 : l[Math.min(nlat - 1, Math.floor((p / 100) * nlat))]);
process.stdout.write(`${JSON.stringify({ connections: conns, depth, rps, requests: measured, p50: pct(50), p90: pct(90), p99: pct(99), max: nlat ? l[nlat - 1] : 0, errors, lost })}\n`);
process.exit(0);
