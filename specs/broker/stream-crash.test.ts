// Streaming receive across a kill -9 of the local broker (real processes): every acknowledged
// publish reaches the streaming subscriber at least once, a repeat carries the seq it had before,
// and seqs still rise after removing repeats (FIFO survives).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BrokerClient } from '../../actors/broker/client.ts';
import { cli, tmp, waitFor, type Proc } from './helpers.ts';

describe('streaming receive across a kill -9 of the local broker', () => {
  const dir = tmp();
  const socket = join(dir, 'lb', 'lb.sock');
  const procs: Proc[] = [];
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  });

  async function startLocal(port: string): Promise<Proc> {
    const p = cli(['broker', 'local', '--server', `ws://127.0.0.1:${port}`, '--data', join(dir, 'lb')]);
    procs.push(p);
    await waitFor(() => p.lines.some((l) => l.includes('server link open')), 'the local broker', 20_000);
    return p;
  }

  it('loses no acknowledged message and repeats only with the same seq', async () => {
    const server = cli(['broker', 'server', '--listen', '127.0.0.1:0', '--data', join(dir, 'srv')]);
    procs.push(server);
    const line = await waitFor(() => server.lines.find((l) => l.includes('broker server listening')), 'the server', 20_000);
    const port = (JSON.parse(line) as { listen: string }).listen.split(':')[1];
    let local = await startLocal(port);

    const setup = await BrokerClient.connect({ socket });
    const sub = await setup.create();
    const pubId = await setup.create();
    await setup.subscribe(sub, 'crash');
    setup.close();

    const acked = new Set<string>();
    const seen = new Map<string, number>(); // msg -> seq of its first delivery
    const order: number[] = [];
    // the first consumer stalls after 100 messages, so the kill finds messages pushed to the local
    // broker, some of them written to the stream and not acknowledged
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const consume = async (stallAt: number): Promise<void> => {
      const c = await BrokerClient.connect({ socket });
      try {
        for await (const m of c.messages(sub, { credit: 8 })) {
          if (seen.size === stallAt) await gate;
          const first = seen.get(m.msg);
          if (first !== undefined) assert.equal(m.seq, first, `a repeat of ${m.msg} keeps its seq`);
          else {
            seen.set(m.msg, m.seq);
            order.push(m.seq);
          }
        }
      } catch {
        // the local broker died under the stream: what was not acknowledged comes back
      } finally {
        c.close();
      }
    };
    const publish = async (from: number, to: number): Promise<void> => {
      const p = await BrokerClient.connect({ socket });
      await Promise.all(
        Array.from({ length: to - from }, (_, k) => `m${from + k}`).map(async (msg) => {
          const r = await p.call({ type: 'publish', id: pubId, topic: 'crash', msg });
          if (r.status === 1) acked.add(msg);
        }),
      );
      p.close();
    };

    const reading = consume(100);
    await publish(0, 200);
    await waitFor(() => seen.size >= 100, 'the stream to deliver');
    local.child.kill('SIGKILL');
    assert.equal(await local.exited, 137);
    release();
    await reading;
    assert.ok(seen.size < 150, `the kill came while messages were still pending (${seen.size} seen)`);
    local = await startLocal(port);
    const again = consume(-1);
    await publish(200, 300);
    await waitFor(() => [...acked].every((m) => seen.has(m)), 'every acknowledged publish to arrive', 30_000);
    assert.ok(acked.size >= 290, `most publishes were acknowledged (${acked.size})`);
    for (let i = 1; i < order.length; i++) assert.ok(order[i] > order[i - 1], 'first deliveries in seq order');
    local.child.kill('SIGTERM');
    await local.exited;
    await again;
  });
});
