// The load generators of the request/response benchmarks (bench/load/closed-loop.ts and its two
// protocols) against their plain baselines over real loopback sockets: every reply counted and
// checked, nothing lost, and a server that answers wrongly is counted as errors; the paired mode
// (interleaved.ts) measures both of its servers.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEchoServer } from '../../bench/load/echo-server.ts';
import { startLineServer } from '../../bench/load/line-server.ts';
import { startPlainServer } from '../../bench/load/plain-server.ts';

const CLIENT = fileURLToPath(new URL('../../bench/load/client.ts', import.meta.url));
const ED_CLIENT = fileURLToPath(new URL('../../bench/load/ed-client.ts', import.meta.url));

interface Line {
  connections: number;
  depth: number;
  rps: number;
  requests: number;
  errors: number;
  lost: number;
  p99: number;
  sliceRps?: number[];
  sliceP99?: number[];
}

function runClient(file: string, port: number, conns: number, depth: number): Promise<Line> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, String(port), String(conns), String(depth), '100', '300'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as Line) : reject(new Error(`client exited ${code}`))));
  });
}

/** Echoes every length32 frame with its last payload byte changed; `served` counts the frames. */
async function startWrongEchoServer(): Promise<Awaited<ReturnType<typeof startPlainServer>> & { served: number }> {
  const counter = { served: 0 };
  const srv = await startPlainServer((sock) => {
    let pending = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      const b = Buffer.concat([pending, chunk]);
      let off = 0;
      while (b.length - off >= 4 && b.length - off - 4 >= b.readUInt32BE(off)) {
        const end = off + 4 + b.readUInt32BE(off);
        const frame = Buffer.from(b.subarray(off, end));
        frame[frame.length - 1] ^= 1;
        sock.write(frame);
        counter.served++;
        off = end;
      }
      pending = Buffer.from(b.subarray(off));
    });
  });
  return Object.defineProperty(srv, 'served', { get: () => counter.served }) as typeof srv & { served: number };
}

describe('bench load generators', () => {
  it('client.ts against the net echo server: replies counted and matched, none lost', async () => {
    const srv = await startEchoServer();
    try {
      const r = await runClient(CLIENT, srv.port, 20, 4);
      assert.equal(r.connections, 20);
      assert.equal(r.depth, 4);
      assert.ok(r.requests > 0 && r.rps > 0, JSON.stringify(r));
      assert.equal(r.errors, 0);
      assert.equal(r.lost, 0);
    } finally {
      await srv.close();
    }
  });

  it('client.ts counts a reply that is not its request as an error', async () => {
    const srv = await startWrongEchoServer();
    try {
      const r = await runClient(CLIENT, srv.port, 2, 1);
      assert.ok(r.errors > 0 && r.errors >= r.requests, JSON.stringify(r));
    } finally {
      await srv.close();
    }
  });

  it('client.ts --pair drives two servers in alternating slices: each measured, a wrong one counted as errors', async () => {
    const good = await startEchoServer();
    const wrong = await startWrongEchoServer();
    try {
      const r = await new Promise<{ a: Line; b: Line }>((resolve, reject) => {
        const args = [CLIENT, String(good.port), '20', '4', '100', '400', '--pair', String(wrong.port), '100'];
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as { a: Line; b: Line }) : reject(new Error(`client exited ${code}`))));
      });
      assert.equal(r.a.connections, 20);
      assert.ok(r.a.requests > 0 && r.a.rps > 0, JSON.stringify(r.a));
      assert.equal(r.a.errors, 0);
      assert.equal(r.a.lost, 0);
      assert.ok(r.b.requests > 0 && r.b.rps > 0, JSON.stringify(r.b));
      assert.ok(r.b.errors >= r.b.requests && wrong.served >= r.b.requests, JSON.stringify(r.b));
      assert.equal(r.b.lost, 0);
      // One rate and p99 per measured slice, as many on each side (they pair up, A B B A), and
      // together they make up the whole: the replies over the measured time.
      const slices = r.a.sliceRps!.length;
      assert.ok(slices >= 4 && slices % 2 === 0, `${slices} slices`);
      assert.equal(r.b.sliceRps!.length, slices);
      assert.equal(r.a.sliceP99!.length, slices);
      assert.ok(r.a.sliceRps!.every((v) => v > 0) && r.a.sliceP99!.every((v) => v > 0), JSON.stringify(r.a));
      const meanRate = r.a.sliceRps!.reduce((x, y) => x + y, 0) / slices;
      assert.ok(Math.abs(meanRate - r.a.rps) / r.a.rps < 0.35, `slices average ${meanRate}, whole ${r.a.rps}`);
    } finally {
      await good.close();
      await wrong.close();
    }
  });

  it('ed-client.ts against the line server: every line answered, none lost', async () => {
    const srv = await startLineServer();
    try {
      const r = await runClient(ED_CLIENT, srv.port, 10, 8);
      assert.ok(r.requests > 0, JSON.stringify(r));
      assert.equal(r.errors, 0);
      assert.equal(r.lost, 0);
    } finally {
      await srv.close();
    }
  });

  it('ed-client.ts counts a reply out of order as an error', async () => {
    // Answers each line with a serial one ahead of the one it was sent.
    const srv = await startPlainServer((sock) => {
      sock.setEncoding('latin1');
      let pending = '';
      sock.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop()!;
        for (const l of lines) sock.write(`reply serial=${Number(/serial=([0-9]+)/.exec(l)![1]) + 1}\n`);
      });
    });
    try {
      const r = await runClient(ED_CLIENT, srv.port, 2, 1);
      assert.ok(r.errors > 0 && r.errors >= r.requests, JSON.stringify(r));
    } finally {
      await srv.close();
    }
  });
});
