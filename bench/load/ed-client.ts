// Closed-loop load generator for the event dispatcher benchmark: N connections, each keeping
// `depth` message lines outstanding (`<bench:load ALIVE serial=<n>`; the loop: closed-loop.ts).
// Runs in its own process. A reply is any line; replies must come back in order (serial checked
// when the reply carries one).
//
//   node bench/load/ed-client.ts <port> <connections> <depth> <warmupMs> <measureMs> [host]

import type net from 'node:net';
import { loopArgs, runClosedLoop } from './closed-loop.ts';

const SERIAL = /serial=([0-9]+)/;

await runClosedLoop<number, string>(
  {
    encoding: 'latin1',
    send(sock: net.Socket, _conn: number, n: number): number {
      sock.write(`<bench:load ALIVE serial=${n}\n`);
      return n;
    },
    reader(reply) {
      let pending = '';
      return (chunk) => {
        const b = pending + chunk;
        let off = 0;
        let nl: number;
        while ((nl = b.indexOf('\n', off)) !== -1) {
          reply(b.slice(off, nl));
          off = nl + 1;
        }
        pending = b.slice(off);
      };
    },
    matches(expected, line) {
      const m = SERIAL.exec(line);
      return m === null || Number(m[1]) === expected;
    },
  },
  loopArgs(process.argv.slice(2)),
);
