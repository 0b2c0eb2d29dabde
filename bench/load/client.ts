// Closed-loop load generator for the dispatcher benchmark (performance.md): N connections, each
// keeping `depth` 64-byte length32 requests outstanding (the loop: closed-loop.ts). Runs in its
// own process. A reply must be its request's payload, byte for byte (the echo handler).
//
//   node bench/load/client.ts <port> <connections> <depth> <warmupMs> <measureMs> [host]
//   node bench/load/client.ts <port> <connections> <depth> <warmupMs> <measureMs> --pair <port2> <sliceMs>
// The second form drives two servers in alternating slices (interleaved.ts) and prints both results.

import type net from 'node:net';
import { loopArgs, runClosedLoop, type LoadProtocol } from './closed-loop.ts';
import { runInterleaved } from './interleaved.ts';

const PAYLOAD = 64;

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

const protocol: LoadProtocol<Buffer, Buffer> = {
  send(sock: net.Socket, conn: number, n: number): Buffer {
    const b = request(conn, n);
    sock.write(b);
    return b;
  },
  reader(reply) {
    let pending: Buffer | null = null;
    return (chunk) => {
      const b = pending === null ? chunk : Buffer.concat([pending, chunk]);
      let off = 0;
      while (b.length - off >= 4) {
        const len = b.readUInt32BE(off);
        if (b.length - off - 4 < len) break;
        reply(b.subarray(off + 4, off + 4 + len));
        off += 4 + len;
      }
      pending = off === b.length ? null : b.subarray(off);
    };
  },
  matches: (expected, payload) => expected !== undefined && payload.equals(expected.subarray(4)),
};

const argv = process.argv.slice(2);
const pair = argv.indexOf('--pair');
if (pair >= 0) await runInterleaved(protocol, { ...loopArgs(argv.slice(0, pair)), port2: Number(argv[pair + 1]), sliceMs: Number(argv[pair + 2]) });
else await runClosedLoop(protocol, loopArgs(argv));
