// Model-based test (broker.md §12): random sequences of the six operations through the client API,
// a real local broker and a real server (ws link, Unix socket, store on disk), every reply compared
// with the reference model; after each step the server's forward and inverse indexes agree.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import fc from 'fast-check';
import { BrokerClient, type JsonReply } from '../../actors/broker/client.ts';
import { startLocalBroker } from '../../actors/broker/local/node.ts';
import { localSettings } from '../../actors/broker/settings.ts';
import { BrokerModel, type Expected } from './model.ts';
import { startCluster, tmp, waitFor, type Cluster } from './helpers.ts';

interface Real {
  client: BrokerClient;
  cluster: Cluster;
  /** Topic names of this run (the server, shared by the runs, keeps older runs' subscribers). */
  t(name: string): string;
}

const TOPICS = ['a', 'b', 'c'];

function check(got: JsonReply, want: Expected, what: string): void {
  assert.equal(got.status, want.status, `${what}: ${JSON.stringify(got)}`);
  if (want.topic !== undefined) {
    assert.equal(got.topic?.replace(/^r\d+-/, ''), want.topic, what);
    assert.equal(got.msg, want.msg, what);
  }
  if (got.status < 0) assert.ok(got.description.length > 0, 'an error has a description');
  if (got.status === 1 && want.topic !== undefined) assert.ok(typeof got.seq === 'number' && got.seq >= 1);
}

type Cmd = fc.AsyncCommand<BrokerModel, Real>;

function cmd(name: string, run: (m: BrokerModel, r: Real) => Promise<void>): Cmd {
  return { check: () => true, run, toString: () => name };
}

const create = (): Cmd => cmd('create', async (m, r) => check(await r.client.call({ type: 'create' }), m.create(), 'create'));
const publish = (id: number, msg: string, topic: string): Cmd => {
  const name = `publish(${id}, ${JSON.stringify(msg)}, ${topic})`;
  return cmd(name, async (m, r) => check(await r.client.call({ type: 'publish', id, msg, topic: r.t(topic) }), m.publish(id, msg, topic), name));
};
const sub = (on: boolean, id: number, topic: string): Cmd => {
  const name = `${on ? 'subscribe' : 'unsubscribe'}(${id}, ${topic})`;
  return cmd(name, async (m, r) => check(await r.client.call({ type: on ? 'subscribe' : 'unsubscribe', id, topic: r.t(topic) }), on ? m.subscribe(id, topic) : m.unsubscribe(id, topic), name));
};
const recv = (id: number): Cmd => cmd(`recv(${id})`, async (m, r) => check(await r.client.call({ type: 'recv', id, wait: false }), m.recv(id), `recv(${id})`));
const destroy = (id: number): Cmd => cmd(`destroy(${id})`, async (m, r) => check(await r.client.call({ type: 'destroy', id }), m.destroy(id), `destroy(${id})`));

const id = fc.integer({ min: 1, max: 5 });
const topic = fc.constantFrom(...TOPICS);
const commands = fc.commands(
  [
    fc.constant(null).map(() => create()),
    fc.tuple(id, fc.string({ maxLength: 8, unit: 'grapheme' }), topic).map(([i, m, t]) => publish(i, m, t)),
    fc.tuple(fc.boolean(), id, topic).map(([on, i, t]) => sub(on, i, t)),
    fc.tuple(fc.constant(true), id, topic).map(([on, i, t]) => sub(on, i, t)),
    id.map((i) => recv(i)),
    id.map((i) => recv(i)),
    id.map((i) => destroy(i)),
  ],
  { maxCommands: 40 },
);

describe('broker model-based test', () => {
  let cluster: Cluster;
  let runs = 0;
  before(async () => {
    cluster = await startCluster({ lbs: 0 });
  });
  after(async () => {
    await cluster.stop();
  });

  it('every reply matches the reference model; the indexes agree after every step', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        // a fresh local broker per run: its local ids start at 1 again
        const lb = await startLocalBroker(localSettings({ server: `ws://127.0.0.1:${cluster.server.port}`, dataDir: join(tmp(), 'lb') }));
        const client = await BrokerClient.connect({ socket: lb.socket });
        try {
          await waitFor(() => lb.broker.link.phase === 'open', 'link');
          const run = ++runs;
          const real: Real = { client, cluster, t: (name) => `r${run}-${name}` };
          await fc.asyncModelRun(() => ({ model: new BrokerModel(), real }), [...cmds].map((c) => wrap(c, cluster)));
        } finally {
          client.close();
          await lb.stop();
        }
      }),
      { numRuns: 40 },
    );
  });
});

/** After each command: forward and inverse index agree on the server. */
function wrap(c: fc.AsyncCommand<BrokerModel, Real>, cluster: Cluster): fc.AsyncCommand<BrokerModel, Real> {
  return {
    check: (m) => c.check(m),
    async run(m, r) {
      await c.run(m, r);
      assert.ok(cluster.server.core.state.indexesAgree(), 'forward and inverse indexes agree');
    },
    toString: () => c.toString(),
  };
}
