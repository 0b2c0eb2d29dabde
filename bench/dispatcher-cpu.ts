// CPU per request of the dispatcher benchmark's servers (issue 12 item 3), a diagnostic beside
// `bench dispatcher`: the inline dispatcher and the plain `net` echo server (and, optionally, the
// inline dispatcher of another checkout, for before/after in one process) take turns under the
// same load generator; for each turn it reads the user and system CPU of this process's threads
// from /proc inside the measured window and divides by the requests served. CPU per request is
// steadier than req/s on a shared machine: a neighbour's burst slows both, it does not add CPU.
//
//   node bench/dispatcher-cpu.ts [connections=50] [depth=1] [turns=4] [other checkout's bench/scenarios/dispatcher.ts]
//
// Bounded: turns x (about 5 s of load + 3 s of grace at most) per server. The CPU is read over
// the load generator's measured window only (LOAD_PHASES, bench/load/closed-loop.ts).

import { readFileSync, readdirSync } from 'node:fs';
import { startOurs, load } from './scenarios/dispatcher.ts';
import { startEchoServer } from './load/echo-server.ts';

const [conns = 50, depth = 1, turns = 4] = process.argv.slice(2, 5).map(Number);
const other = process.argv[5];
const WARMUP_MS = 1000;
const MEASURE_MS = 4000;
const TICK_US = 1_000_000 / 100; // /proc counts clock ticks of 10 ms

/** User and system ticks summed over this process's threads. */
function cpuTicks(): { user: number; sys: number } {
  let user = 0;
  let sys = 0;
  for (const t of readdirSync('/proc/self/task')) {
    const s = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    user += Number(f[11]);
    sys += Number(f[12]);
  }
  return { user, sys };
}

interface Server {
  port: number;
  stop(): Promise<void>;
}

const servers: [string, Server][] = [];
servers.push(['inline', await startOurs('inline')]);
const echo = await startEchoServer();
servers.push(['net echo', { port: echo.port, stop: () => echo.close() }]);
if (other) servers.push([`inline (${other})`, await ((await import(other)) as typeof import('./scenarios/dispatcher.ts')).startOurs('inline')]);

const res = new Map<string, { rps: number[]; user: number[]; sys: number[]; client: number[] }>();
try {
  for (let i = 0; i < turns; i++) {
    for (const [name, srv] of i % 2 ? [...servers].reverse() : servers) {
      // The CPU window is the load generator's measured window (it says when that opens and
      // closes), so accepting the connections and the warm-up are not charged to the requests.
      let a = { user: 0, sys: 0 };
      let b = { user: 0, sys: 0 };
      const r = await load(srv.port, conns, depth, WARMUP_MS, MEASURE_MS, (phase) => {
        if (phase === 'measure') a = cpuTicks();
        else b = cpuTicks();
      });
      const requests = r.requests;
      const e = res.get(name) ?? { rps: [], user: [], sys: [], client: [] };
      e.rps.push(r.rps);
      e.user.push(((b.user - a.user) * TICK_US) / requests);
      e.sys.push(((b.sys - a.sys) * TICK_US) / requests);
      e.client.push(r.clientCpuUsPerReq);
      res.set(name, e);
    }
  }
} finally {
  for (const [, s] of servers) await s.stop();
}
const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const range = (xs: number[], d = 2): string => `${med(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)})`;
process.stdout.write(`${conns} connections x depth ${depth}, ${turns} turns each; CPU in us per request, median (range)\n`);
for (const [name, e] of res) {
  process.stdout.write(`${name.padEnd(12)} req/s ${range(e.rps.map((x) => x / 1000), 1)}k  server user ${range(e.user)}  sys ${range(e.sys)}  client ${range(e.client)}\n`);
}
