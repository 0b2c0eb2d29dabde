// Connection priority (eventdispatcher.md §3.4, §8 "With priorities 50 / 100 / 200, the events of
// one round are delivered in that order") for real connection actors over real sockets: bytes that
// arrive in one loop iteration are handled in priority order whatever order the sockets became
// ready in (runtime/io/rounds.ts), and the links run at the same kernel priority.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ActorSystem, defineActor, type ActorRef } from '../../runtime/index.ts';
import { giveHandle, listen, type Listener } from '../../runtime/io/index.ts';
import { StreamLink, type LinkReport } from '../../actors/eventdispatcher/links.ts';
import { checkConnectionPriority, MessageStream } from '../../actors/eventdispatcher/message-stream.ts';
import { recordingLogger, waitFor } from './helpers.ts';

type OwnerMsg = LinkReport | { t: 'accepted'; token: string } | { t: 'port' } | { t: 'seen' };

/** Accepts connections and gives the i-th one priority `priorities[i]`; records what links report, in order. */
const Owner = defineActor<OwnerMsg, { priorities: number[] }>(import.meta.url, 'PrioOwner', (p, ctx) => {
  let l: Listener | null = null;
  let n = 0;
  const seen: { id: string; command: string; round: string }[] = [];
  return {
    async started() {
      l = await listen({ target: { kind: 'tcp', host: '127.0.0.1', port: 0 }, onConnection: (socket) => void ctx.self.tell({ t: 'accepted', token: giveHandle(socket) }) });
    },
    receive(msg) {
      if (msg.t === 'accepted') {
        const priority = p.priorities[n++] ?? 100;
        ctx.spawn(StreamLink, { name: `p${priority}`, priority, restart: 'temporary', props: { token: msg.token, id: `p${priority}`, label: `prio ${priority}`, priority } });
      } else if (msg.t === 'ed-msg') seen.push({ id: msg.id, command: msg.fields.command, round: msg.fields.parameters.get('k') ?? '' });
      else if (msg.t === 'port') ctx.reply(Number(l!.address.split(':').pop()));
      else if (msg.t === 'seen') ctx.reply([...seen]);
    },
    stopped() {
      l?.stop();
    },
  };
});

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  return s;
}

describe('eventdispatcher connection priority over real sockets', () => {
  let sys: ActorSystem;
  before(async () => {
    sys = await ActorSystem.start({ threads: 0, logLevel: process.env.LOG_LEVEL ?? 'silent', statsIntervalMs: 0 });
  });
  after(async () => {
    await sys.stop();
  });

  it('lines arriving in one round are handled 50, 100, 200 although the sockets got them 200, 100, 50', async () => {
    const owner = sys.spawn(Owner, { name: 'prio-owner', props: { priorities: [200, 100, 50] } });
    const port = await waitFor(() => owner.ask<number>({ t: 'port' }).catch(() => 0), 'the listener');
    const clients: net.Socket[] = [];
    // Connect one at a time so the i-th accepted connection is clients[i].
    for (const prio of [200, 100, 50]) {
      clients.push(await connect(port));
      clients.at(-1)!.write(`HELLO prio=${prio}\n`);
      await waitFor(async () => (await owner.ask<{ id: string }[]>({ t: 'seen' })).some((s) => s.id === `p${prio}`), `link p${prio}`);
    }
    const ROUNDS = 20;
    for (let k = 0; k < ROUNDS; k++) {
      // All three writes reach the kernel before the loop polls again: one round on the server.
      for (const c of clients) c.write(`ROUND k=${k}\n`);
      await waitFor(async () => (await owner.ask<{ round: string }[]>({ t: 'seen' })).filter((s) => s.round === String(k)).length === 3, `round ${k}`);
    }
    const seen = (await owner.ask<{ id: string; command: string; round: string }[]>({ t: 'seen' })).filter((s) => s.command === 'ROUND');
    for (let k = 0; k < ROUNDS; k++) {
      assert.deepEqual(seen.filter((s) => s.round === String(k)).map((s) => s.id), ['p50', 'p100', 'p200'], `round ${k}`);
    }
    for (const c of clients) c.destroy();
    await sys.stopActor(owner as ActorRef<unknown>);
  });

  it('property: priorities 0..255 are accepted; anything else is the ParameterError of §3.4', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double()), (p) => {
        if (Number.isInteger(p) && p >= 0 && p <= 255) assert.equal(checkConnectionPriority(p), p);
        else assert.throws(() => checkConnectionPriority(p), { name: 'ParameterError', message: 'connection::set_priority(): priority out of range, this instance of connection accepts priorities between 0 and 255.' });
      }),
    );
  });

  it('a message handler that throws inside a round closes only its own connection', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const log = recordingLogger();
    const got: string[] = [];
    const closed: string[] = [];
    let n = 0;
    server.on('connection', (socket) => {
      const name = n++ === 0 ? 'bad' : 'good';
      new MessageStream(socket, {
        log,
        label: name,
        message: (m) => {
          if (name === 'bad') throw new Error('handler bug');
          got.push(m.command);
        },
        closed: () => closed.push(name),
      });
    });
    const bad = await connect(port);
    await waitFor(() => n === 1, 'the first connection');
    const good = await connect(port);
    await waitFor(() => n === 2, 'the second connection');
    bad.write('BOOM\n');
    good.write('FINE\n');
    await waitFor(() => closed.includes('bad') && got.includes('FINE'), 'the bad connection closed and the good one served');
    good.write('AGAIN\n');
    await waitFor(() => got.includes('AGAIN'), 'the good connection still served');
    assert.deepEqual(closed, ['bad']);
    assert.ok(log.lines.some((l) => l.level === 'error' && /handler failed/.test(l.msg)));
    bad.destroy();
    good.destroy();
    await new Promise((r) => server.close(r));
  });
});
