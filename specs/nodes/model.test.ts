// Model-based: random tells among three nodes (in this process, linked over real loopback
// sockets) with random link drops and node restarts. Every delivered message respects per-pair
// FIFO, nothing is delivered twice, and what was lost is only what was in flight across a drop
// (mail sent in an epoch that a drop or restart of that pair ended).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ActorSystem } from '../../runtime/index.ts';
import { Inbox } from './fixtures/actors.ts';
import { waitFor } from './helpers.ts';

const NAMES = ['n0', 'n1', 'n2'];
type Msg = { from: number; seq: number };

interface World {
  systems: ActorSystem[];
  urls: string[];
  /** [from][to]: every message sent, with the epoch of the pair's link when it was sent. */
  sent: { seq: number; epoch: number }[][][];
  epoch: number[][];
  /** [to]: messages observed at each recorder (collected before a restart, and at the end). */
  seen: Msg[][];
}

async function startNode(i: number, urls: string[]): Promise<ActorSystem> {
  const s = await ActorSystem.start({
    name: `model-${NAMES[i]}`,
    threads: 0,
    statsIntervalMs: 0,
    logLevel: 'error',
    node: {
      name: NAMES[i],
      listen: urls[i] || 'ws://127.0.0.1:0',
      peers: NAMES.flatMap((n, j) => (j !== i && urls[j] ? [{ name: n, url: urls[j] }] : [])),
      heartbeatMs: 200,
      reconnect: '0.02',
    },
  });
  s.spawn(Inbox, { name: 'rec', props: undefined });
  return s;
}

async function allLinked(w: World): Promise<void> {
  for (let i = 0; i < 3; i++) for (const n of NAMES) if (n !== NAMES[i]) await w.systems[i].node!.connected(n, 8000);
}

async function collect(w: World, to: number): Promise<void> {
  const got = await w.systems[to].lookup('/rec').then((r) => r!.ask<{ msg: Msg }[]>({ type: 'dump' }));
  for (const g of got) w.seen[to].push(g.msg);
}

class TellCmd implements fc.AsyncCommand<object, World> {
  readonly from: number;
  readonly to: number;
  readonly n: number;
  constructor(from: number, to: number, n: number) {
    this.from = from;
    this.to = to;
    this.n = n;
  }
  check = (): boolean => true;
  async run(_m: object, w: World): Promise<void> {
    const ref = w.systems[this.from].node!.ref<Msg>(`${NAMES[this.to]}:/rec`);
    const list = w.sent[this.from][this.to];
    for (let k = 0; k < this.n; k++) {
      const seq = list.length;
      list.push({ seq, epoch: w.epoch[this.from][this.to] });
      ref.tell({ from: this.from, seq });
      if (k % 7 === 3) await new Promise((r) => setImmediate(r)); // spread over several turns and frames
    }
  }
  toString = (): string => `tell(${this.from}->${this.to} x${this.n})`;
}

class DropCmd implements fc.AsyncCommand<object, World> {
  readonly a: number;
  readonly b: number;
  constructor(a: number, b: number) {
    this.a = a;
    this.b = b;
  }
  check = (): boolean => true;
  async run(_m: object, w: World): Promise<void> {
    w.epoch[this.a][this.b]++;
    w.epoch[this.b][this.a]++;
    w.systems[this.a].node!.disconnect(NAMES[this.b]);
    await allLinked(w);
  }
  toString = (): string => `drop(${this.a}-${this.b})`;
}

class RestartCmd implements fc.AsyncCommand<object, World> {
  readonly i: number;
  constructor(i: number) {
    this.i = i;
  }
  check = (): boolean => true;
  async run(_m: object, w: World): Promise<void> {
    for (let j = 0; j < 3; j++) {
      w.epoch[this.i][j]++;
      w.epoch[j][this.i]++;
    }
    await collect(w, this.i);
    await w.systems[this.i].stop();
    w.systems[this.i] = await startNode(this.i, w.urls);
    await allLinked(w);
  }
  toString = (): string => `restart(${this.i})`;
}

const node = fc.integer({ min: 0, max: 2 });
const pair = fc.tuple(node, node).filter(([a, b]) => a !== b);
const commands = fc.commands(
  [
    pair.chain(([a, b]) => fc.integer({ min: 1, max: 60 }).map((n) => new TellCmd(a, b, n))),
    pair.map(([a, b]) => new DropCmd(a, b)),
    node.map((i) => new RestartCmd(i)),
  ],
  { maxCommands: 12 },
);

test('model: per-pair FIFO, no duplicates, losses only across drops', { timeout: 300_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(commands, async (cmds) => {
      const urls = ['', '', ''];
      const systems: ActorSystem[] = [];
      for (let i = 0; i < 3; i++) {
        systems.push(await startNode(i, urls));
        urls[i] = systems[i].node!.url!;
      }
      // restart the first two so that every node knows every peer's address
      for (let i = 0; i < 2; i++) {
        await systems[i].stop();
        systems[i] = await startNode(i, urls);
      }
      const grid = <T>(f: () => T): T[][] => [0, 1, 2].map(() => [0, 1, 2].map(f));
      const w: World = { systems, urls, sent: grid(() => []), epoch: grid(() => 0), seen: [[], [], []] };
      try {
        await allLinked(w);
        await fc.asyncModelRun(() => ({ model: {}, real: w }), cmds);
        // quiescence: everything sent in the current epochs arrives
        await waitFor(async () => {
          for (let to = 0; to < 3; to++) await collect(w, to);
          return [0, 1, 2].every((from) => [0, 1, 2].every((to) => from === to || lastEpochDelivered(w, from, to)));
        }, 'the last epoch of every pair delivered', 10_000, 20);
        const sentTotal = w.sent.flat().reduce((n, l) => n + l.length, 0);
        const seenTotal = w.seen.reduce((n, l) => n + l.length, 0);
        if (process.env.MODEL_DEBUG) console.log(cmds.toString(), { sentTotal, seenTotal });
        for (let from = 0; from < 3; from++) {
          for (let to = 0; to < 3; to++) {
            if (from === to) continue;
            const got = w.seen[to].filter((m) => m.from === from).map((m) => m.seq);
            for (let k = 1; k < got.length; k++) assert.ok(got[k] > got[k - 1], `${from}->${to}: ${got[k - 1]} then ${got[k]} (FIFO, once)`);
            const delivered = new Set(got);
            for (const s of w.sent[from][to]) {
              if (!delivered.has(s.seq)) assert.ok(s.epoch < w.epoch[from][to], `${from}->${to}: seq ${s.seq} lost without a drop after it`);
            }
          }
        }
      } finally {
        for (const s of w.systems) await s.stop();
      }
    }),
    { numRuns: 25, endOnFailure: true },
  );
});

function lastEpochDelivered(w: World, from: number, to: number): boolean {
  const cur = w.epoch[from][to];
  const want = w.sent[from][to].filter((s) => s.epoch === cur).map((s) => s.seq);
  const got = new Set(w.seen[to].filter((m) => m.from === from).map((m) => m.seq));
  return want.every((s) => got.has(s));
}
