// Node-link scenarios (issue 13): two runtime nodes in two processes on loopback.
// - nodes.tell: small messages told to an echo actor on the other node and echoed back to the
//   sender, `window` in flight in bursts of `burst` per turn; baseline: a raw ws client and
//   server in two processes moving the same messages, with the same bursts per frame and the
//   same codec (bench/load/ws-raw.ts). Target >= 0.8x.
// - nodes.ask: sequential remote ask round trips; baseline: a raw ws ping-pong of one message
//   per frame. Target >= 0.8x.
// Peak RSS and CPU time per message of both processes are reported for ours and the baseline.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

const PEER = fileURLToPath(new URL('../load/node-peer.ts', import.meta.url));
const RAW = fileURLToPath(new URL('../load/ws-raw.ts', import.meta.url));
const MB = 2 ** 20;

interface Proc {
  child: ChildProcess;
  next<T>(): Promise<T>;
  /** Peak RSS and CPU time (ms, since it was ready) of the process. */
  stop(): Promise<{ peakRss: number; cpuMs: number }>;
}

function start(file: string, args: string[], timeoutMs: number): Proc {
  const child = fork(file, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const queue: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  child.on('message', (m) => (waiters.length ? waiters.shift()!(m) : queue.push(m)));
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.once('exit', () => clearTimeout(killer));
  const next = <T>(): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (queue.length) return resolve(queue.shift() as T);
      const onExit = (code: number | null): void => reject(new Error(`${file} ${args[0]} exited (${code}) before answering`));
      child.once('exit', onExit);
      waiters.push((m) => {
        child.off('exit', onExit);
        resolve(m as T);
      });
    });
  return {
    child,
    next,
    async stop() {
      if (child.exitCode !== null) return { peakRss: 0, cpuMs: 0 };
      child.send({ op: 'stop' });
      const r = await next<{ peakRss: number; cpuMs: number }>().catch(() => ({ peakRss: 0, cpuMs: 0 }));
      await new Promise((res) => (child.exitCode !== null ? res(null) : child.once('exit', res)));
      return r;
    },
  };
}

interface Pair {
  rate: number;
  serverRss: number;
  clientRss: number;
  /** CPU time per message (or ask) in ns: the client over its measured stretch, the server from ready to stop. */
  clientCpuNs: number;
  serverCpuNs: number;
}

async function pair(serverFile: string, serverArgs: string[], clientFile: string, clientArgs: (url: string) => string[], timeoutMs: number): Promise<Pair> {
  const server = start(serverFile, serverArgs, timeoutMs);
  try {
    const { url } = await server.next<{ url: string }>();
    const client = start(clientFile, clientArgs(url), timeoutMs);
    try {
      const r = await client.next<{ ms: number; n: number; cpuMs: number }>();
      const c = await client.stop();
      const s = await server.stop();
      const per = 1e6 / r.n;
      return { rate: r.n / (r.ms / 1000), clientRss: c.peakRss, serverRss: s.peakRss, clientCpuNs: Math.round(r.cpuMs * per), serverCpuNs: Math.round(s.cpuMs * per) };
    } finally {
      client.child.kill('SIGKILL');
    }
  } finally {
    server.child.kill('SIGKILL');
  }
}

/**
 * Two pairs, the order turned round in the second (raw, ours, ours, raw): two paired samples per
 * run (one gave a quick run 3 samples and a full one 5, too few for the full run's range to hold a
 * quick median), and neither side always goes first. `shown`: the pair with the lower ratio (its figures are the row's).
 */
async function pairs(raw: () => Promise<Pair>, ours: () => Promise<Pair>): Promise<{ ratios: number[]; shown: [Pair, Pair] }> {
  const a1 = await raw();
  const b1 = await ours();
  const b2 = await ours();
  const a2 = await raw();
  const ratios = [b1.rate / a1.rate, b2.rate / a2.rate];
  return { ratios, shown: ratios[0] <= ratios[1] ? [a1, b1] : [a2, b2] };
}

export async function run(_o: ScenarioOptions): Promise<ScenarioResult[]> {
  // The same sizes in a quick run (the runner takes fewer runs of the same measurement): with
  // 400k messages a quick tell ratio read 0.92x against the full run's 0.74-0.82x (start-up and
  // the first frames weigh more in a short run). A run of both sizes takes ~6 s.
  const n = 2_000_000;
  const asks = 30_000;
  const window = '16384';
  const burst = '1024';
  const timeout = 300_000;
  const out: ScenarioResult[] = [];

  const tells = await pairs(
    () => pair(RAW, ['server'], RAW, (u) => ['tell', u, String(n), window, burst], timeout),
    () => pair(PEER, ['echo'], PEER, (u) => ['tell', u, String(n), window, burst], timeout),
  );
  const [rawTell, ourTell] = tells.shown;
  out.push({
    name: 'nodes.tell-echo',
    value: ourTell.rate,
    unit: 'msg/s',
    baseline: rawTell.rate,
    ratios: tells.ratios,
    baselineName: `raw ws + msgpackr, ${burst} msgs/frame, ${window} in flight`,
    target: { ratio: 0.8 },
    extra: {
      messages: n,
      peakRssSenderMB: Math.round(ourTell.clientRss / MB),
      peakRssEchoMB: Math.round(ourTell.serverRss / MB),
      baselinePeakRssClientMB: Math.round(rawTell.clientRss / MB),
      baselinePeakRssServerMB: Math.round(rawTell.serverRss / MB),
      // CPU time is steadier than throughput on a loaded machine (one run's sample)
      cpuNsPerMsgSender: ourTell.clientCpuNs,
      cpuNsPerMsgEcho: ourTell.serverCpuNs,
      baselineCpuNsPerMsgClient: rawTell.clientCpuNs,
      baselineCpuNsPerMsgServer: rawTell.serverCpuNs,
    },
  });

  const askPairs = await pairs(
    () => pair(RAW, ['server'], RAW, (u) => ['ask', u, String(asks)], timeout),
    () => pair(PEER, ['echo'], PEER, (u) => ['ask', u, String(asks)], timeout),
  );
  const [rawAsk, ourAsk] = askPairs.shown;
  out.push({
    name: 'nodes.ask-roundtrip',
    value: ourAsk.rate,
    unit: 'asks/s',
    baseline: rawAsk.rate,
    ratios: askPairs.ratios,
    baselineName: 'raw ws ping-pong, 1 msg/frame',
    target: { ratio: 0.8 },
    extra: {
      asks,
      peakRssAskerMB: Math.round(ourAsk.clientRss / MB),
      peakRssEchoMB: Math.round(ourAsk.serverRss / MB),
      baselinePeakRssClientMB: Math.round(rawAsk.clientRss / MB),
      baselinePeakRssServerMB: Math.round(rawAsk.serverRss / MB),
      cpuNsPerAskAsker: ourAsk.clientCpuNs,
      cpuNsPerAskEcho: ourAsk.serverCpuNs,
      baselineCpuNsPerAskClient: rawAsk.clientCpuNs,
      baselineCpuNsPerAskServer: rawAsk.serverCpuNs,
    },
  });
  return out;
}
