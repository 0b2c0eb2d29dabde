// Node-link scenarios (issue 13): two runtime nodes in two processes on loopback.
// - nodes.tell: small messages told to an echo actor on the other node and echoed back to the
//   sender, `window` in flight in bursts of `burst` per turn; baseline: a raw ws client and
//   server in two processes moving the same messages, with the same bursts per frame and the
//   same codec (bench/load/ws-raw.ts). Target >= 0.8x.
// - nodes.ask: sequential remote ask round trips; baseline: a raw ws ping-pong of one message
//   per frame. Target >= 0.8x.
// Peak RSS of both processes is reported for ours and the baseline.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

const PEER = fileURLToPath(new URL('../load/node-peer.ts', import.meta.url));
const RAW = fileURLToPath(new URL('../load/ws-raw.ts', import.meta.url));
const MB = 2 ** 20;

interface Proc {
  child: ChildProcess;
  next<T>(): Promise<T>;
  stop(): Promise<number>;
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
      if (child.exitCode !== null) return 0;
      child.send({ op: 'stop' });
      const r = await next<{ peakRss: number }>().catch(() => ({ peakRss: 0 }));
      await new Promise((res) => (child.exitCode !== null ? res(null) : child.once('exit', res)));
      return r.peakRss;
    },
  };
}

interface Pair {
  rate: number;
  serverRss: number;
  clientRss: number;
}

async function pair(serverFile: string, serverArgs: string[], clientFile: string, clientArgs: (url: string) => string[], timeoutMs: number): Promise<Pair> {
  const server = start(serverFile, serverArgs, timeoutMs);
  try {
    const { url } = await server.next<{ url: string }>();
    const client = start(clientFile, clientArgs(url), timeoutMs);
    try {
      const r = await client.next<{ ms: number; n: number }>();
      return { rate: r.n / (r.ms / 1000), clientRss: await client.stop(), serverRss: await server.stop() };
    } finally {
      client.child.kill('SIGKILL');
    }
  } finally {
    server.child.kill('SIGKILL');
  }
}

export async function run(o: ScenarioOptions): Promise<ScenarioResult[]> {
  const n = o.quick ? 400_000 : 2_000_000;
  const asks = o.quick ? 5_000 : 30_000;
  const window = '16384';
  const burst = '1024';
  const timeout = 300_000;
  const out: ScenarioResult[] = [];

  const rawTell = await pair(RAW, ['server'], RAW, (u) => ['tell', u, String(n), window, burst], timeout);
  const ourTell = await pair(PEER, ['echo'], PEER, (u) => ['tell', u, String(n), window, burst], timeout);
  out.push({
    name: 'nodes.tell-echo',
    value: ourTell.rate,
    unit: 'msg/s',
    baseline: rawTell.rate,
    baselineName: `raw ws + msgpackr, ${burst} msgs/frame, ${window} in flight`,
    target: { ratio: 0.8 },
    extra: {
      messages: n,
      peakRssSenderMB: Math.round(ourTell.clientRss / MB),
      peakRssEchoMB: Math.round(ourTell.serverRss / MB),
      baselinePeakRssClientMB: Math.round(rawTell.clientRss / MB),
      baselinePeakRssServerMB: Math.round(rawTell.serverRss / MB),
    },
  });

  const rawAsk = await pair(RAW, ['server'], RAW, (u) => ['ask', u, String(asks)], timeout);
  const ourAsk = await pair(PEER, ['echo'], PEER, (u) => ['ask', u, String(asks)], timeout);
  out.push({
    name: 'nodes.ask-roundtrip',
    value: ourAsk.rate,
    unit: 'asks/s',
    baseline: rawAsk.rate,
    baselineName: 'raw ws ping-pong, 1 msg/frame',
    target: { ratio: 0.8 },
    extra: {
      asks,
      peakRssAskerMB: Math.round(ourAsk.clientRss / MB),
      peakRssEchoMB: Math.round(ourAsk.serverRss / MB),
      baselinePeakRssClientMB: Math.round(rawAsk.clientRss / MB),
      baselinePeakRssServerMB: Math.round(rawAsk.serverRss / MB),
    },
  });
  return out;
}
