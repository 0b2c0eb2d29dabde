// Properties P3 and P4 of dispatcher.md §9.1 (fast-check).
// P4 (table): the connection table against a naive model under random registrations, frees,
//   stale frees and rejections.
// P3 (routing, model-based, over real sockets): random interleavings of connect, send,
//   disconnect (slot reuse) and out-of-order worker completions (a gated module handler released
//   by the test): every reply a client reads belongs to a request it sent on that connection,
//   replies come in seq order, and open connections lose nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ConnTable } from '../../actors/dispatcher/table.ts';
import { Client, freePort, sleep, startHarness, tmpDir, type Harness } from './helpers.ts';

describe('P4: the connection table', () => {
  type Op = { k: 'reg'; ip: number; port: number } | { k: 'free'; pick: number } | { k: 'stale'; pick: number; back: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ k: fc.constant('reg' as const), ip: fc.integer({ min: 1, max: 3 }), port: fc.integer({ min: 1, max: 6 }) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('free' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('stale' as const), pick: fc.nat(), back: fc.integer({ min: 1, max: 3 }) }) },
  );

  it('live ≤ capacity, loads = slot counts, least-loaded lowest-index groups, lowest free slot, generations never repeat, rejections change nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 80 }), (size, groups, ops) => {
        const t = new ConnTable(size, groups);
        const seen = new Set<string>();
        const snapshot = () => JSON.stringify([t.rows.map((r) => [r.live, r.gen, r.group, r.peer, r.port]), t.loads, t.liveCount]);
        for (const o of ops) {
          if (o.k === 'reg') {
            const before = snapshot();
            const loads = [...t.loads];
            const wasFull = t.liveCount === size;
            const freeSlots = t.rows.filter((r) => !r.live).map((r) => r.slot);
            const row = t.register(`10.0.0.${o.ip}`, o.port, 1);
            if (wasFull) {
              assert.equal(row, null);
              assert.equal(snapshot(), before, 'a rejected peer changes nothing');
            } else {
              assert.ok(row);
              const min = Math.min(...loads);
              assert.equal(row.group, loads.indexOf(min), 'least-loaded group, ties to the lowest index');
              assert.equal(row.slot, freeSlots[0], 'lowest free slot');
              const id = `${row.slot}:${row.gen}`;
              assert.ok(!seen.has(id), `generation ${id} repeated`);
              seen.add(id);
            }
          } else {
            const live = t.rows.filter((r) => r.live);
            if (live.length === 0) continue;
            const r = live[o.pick % live.length];
            if (o.k === 'free') assert.equal(t.free(r.slot, r.gen), true);
            else {
              const before = snapshot();
              assert.equal(t.free(r.slot, r.gen - o.back), false, 'a stale generation frees nothing');
              assert.equal(t.route(r.slot, r.gen - o.back), null);
              assert.equal(snapshot(), before);
            }
          }
          // invariants
          assert.ok(t.liveCount <= size);
          assert.equal(t.liveCount, t.rows.filter((r) => r.live).length);
          for (let g = 0; g < groups; g++) assert.equal(t.loads[g], t.rows.filter((r) => r.live && r.group === g).length);
          for (const r of t.rows) if (r.live) assert.equal(t.route(r.slot, r.gen), r);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('findPeer scans every slot, including the last', () => {
    const t = new ConnTable(3, 1);
    t.register('a', 1, 0);
    t.register('b', 2, 0);
    t.register('c', 3, 0);
    assert.equal(t.findPeer('c', 3), 2);
    assert.equal(t.findPeer('c', 4), -1);
  });
});

// ---- P3 -------------------------------------------------------------------------------------------

interface Conn {
  client: Client;
  index: number;
  open: boolean;
  sent: string[];
}

interface World {
  conns: Conn[];
  pending: string[];
  nextId: number;
}

const gate = new BroadcastChannel('dispatcher-test-gate');
const MAX_CONNS = 3;
let port = 0;
let h: Harness;

class ConnectCmd implements fc.AsyncCommand<object, World> {
  check(): boolean {
    return true;
  }
  async run(_m: object, w: World): Promise<void> {
    if (w.conns.filter((c) => c.open).length >= MAX_CONNS) return;
    const client = await Client.connect(port, 'length32');
    w.conns.push({ client, index: w.conns.length, open: true, sent: [] });
    await sleep(2);
  }
  toString(): string {
    return 'connect';
  }
}

async function sendOn(w: World, c: Conn, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = `r${w.nextId++}`;
    c.sent.push(id);
    w.pending.push(id);
    c.client.send(JSON.stringify({ id, conn: c.index }));
  }
  await sleep(3); // let the server read it (a request reset before it is read never exists)
}

class SendCmd implements fc.AsyncCommand<object, World> {
  readonly pick: number;
  readonly n: number;
  constructor(pick: number, n: number) {
    this.pick = pick;
    this.n = n;
  }
  check(): boolean {
    return true;
  }
  async run(_m: object, w: World): Promise<void> {
    const open = w.conns.filter((c) => c.open);
    if (open.length === 0) return;
    await sendOn(w, open[this.pick % open.length], this.n);
  }
  toString(): string {
    return `send(${this.pick}, ${this.n})`;
  }
}

class DisconnectCmd implements fc.AsyncCommand<object, World> {
  readonly pick: number;
  constructor(pick: number) {
    this.pick = pick;
  }
  check(): boolean {
    return true;
  }
  async run(_m: object, w: World): Promise<void> {
    const open = w.conns.filter((c) => c.open);
    if (open.length === 0) return;
    const c = open[this.pick % open.length];
    c.open = false;
    c.client.reset();
    await sleep(2);
  }
  toString(): string {
    return `disconnect(${this.pick})`;
  }
}

class CompleteCmd implements fc.AsyncCommand<object, World> {
  readonly pick: number;
  constructor(pick: number) {
    this.pick = pick;
  }
  check(): boolean {
    return true;
  }
  async run(_m: object, w: World): Promise<void> {
    if (w.pending.length === 0) return;
    const [id] = w.pending.splice(this.pick % w.pending.length, 1);
    gate.postMessage({ release: id });
    await sleep(1);
  }
  toString(): string {
    return `complete(${this.pick})`;
  }
}

class ChurnCmd implements fc.AsyncCommand<object, World> {
  readonly pick: number;
  readonly n: number;
  constructor(pick: number, n: number) {
    this.pick = pick;
    this.n = n;
  }
  check(): boolean {
    return true;
  }
  async run(m: object, w: World): Promise<void> {
    await new DisconnectCmd(this.pick).run(m, w);
    await sleep(3);
    const before = w.conns.length;
    await new ConnectCmd().run(m, w);
    if (w.conns.length > before) await sendOn(w, w.conns[before], this.n);
  }
  toString(): string {
    return `churn(${this.pick}, ${this.n})`;
  }
}

function checkClient(c: Conn): void {
  const got = c.client.replies.map((r) => JSON.parse(r) as { id: string; conn: number });
  for (const r of got) assert.equal(r.conn, c.index, 'a reply for another connection');
  // seq order: the replies are a prefix of what this connection sent, in order
  assert.deepEqual(
    got.map((r) => r.id),
    c.sent.slice(0, got.length),
  );
}

describe('P3: routing by slot and generation under random interleavings', () => {
  before(async () => {
    port = await freePort();
    h = await startHarness(
      [
        {
          Name: 'p3',
          IP: '127.0.0.1',
          Port: port,
          NumThreads: 2,
          MaxConnections: 16,
          StopTimeout: 0,
          LogLevel: 0,
          MaxInFlightPerConnection: 64,
          Allow: ['127.0.0.1'],
          Workers: { Min: 2, Max: 2 },
          Handler: { Kind: 'module', Module: new URL('./fixtures/handlers.ts', import.meta.url).pathname, Export: 'gated', Concurrency: 256 },
          LockFile: `${tmpDir()}/p3.lock`,
        },
      ],
      { threads: 1 },
    );
  });
  after(async () => {
    gate.close();
    await h.stop();
  });

  it('every delivered reply belongs to its connection, in seq order; nothing is lost on open connections', async () => {
    const commands = [
      fc.constant(new ConnectCmd()),
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 4 })).map(([p, n]) => new SendCmd(p, n)),
      fc.nat().map((p) => new DisconnectCmd(p)),
      fc.nat().map((p) => new CompleteCmd(p)),
      fc.nat().map((p) => new CompleteCmd(p)),
      // the oldest pending request: often one of a connection that is gone, whose slot was reused
      fc.constant(new CompleteCmd(0)),
      // churn: a connection leaves and a new one (likely in the same slot) sends at once
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 })).map(([p, n]) => new ChurnCmd(p, n)),
    ];
    let staleBefore = (await h.view('p3')).counters.staleReplies;
    let sawStale = false;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 50 }), async (cmds) => {
        const w: World = { conns: [], pending: [], nextId: Date.now() * 1000 };
        try {
          await fc.asyncModelRun(() => ({ model: {}, real: w }), cmds);
          // complete everything still pending, then every open connection gets all its replies
          for (const id of w.pending.splice(0)) gate.postMessage({ release: id });
          for (const c of w.conns) if (c.open) await c.client.reply(c.sent.length, 5000);
          await sleep(5);
          for (const c of w.conns) checkClient(c);
          for (const c of w.conns) if (c.open) assert.equal(c.client.replies.length, c.sent.length);
        } finally {
          for (const c of w.conns) c.client.close();
        }
        // wait until the server freed every slot
        for (let i = 0; i < 200 && (await h.view('p3')).gauges.liveConnections > 0; i++) await sleep(5);
        const stale = (await h.view('p3')).counters.staleReplies;
        if (stale > staleBefore) sawStale = true;
        staleBefore = stale;
      }),
      { numRuns: 80 },
    );
    assert.ok(sawStale, 'the runs exercised replies to freed slots');
  });
});
