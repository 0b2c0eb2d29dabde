// UDP multicast over the loopback interface (eventdispatcher.md §3.1 "multicast destinations"):
// message server connections bound to a group join it; the static send reaches every member.
// Skipped, saying why, when this host cannot loop multicast back on 127.0.0.1.

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { ActorSystem, defineActor } from '../../runtime/index.ts';
import { DatagramMessageServer, messageFrom, type LinkReport } from '../../actors/eventdispatcher/links.ts';
import { sendUdpMessage } from '../../actors/eventdispatcher/udp.ts';
import { isMulticast, openMulticast } from '../../runtime/io/multicast.ts';
import { waitFor } from './helpers.ts';

const GROUP = '239.255.14.1';
const OTHER_GROUP = '239.255.14.2';
const LOOP = { interface: '127.0.0.1', ttl: 0 };
const reports: LinkReport[] = [];

const Owner = defineActor<LinkReport, { group: string; port: number; name: string }>(import.meta.url, 'McOwner', (p, ctx) => ({
  started() {
    ctx.spawn(DatagramMessageServer, { name: p.name, props: { id: p.name, target: { kind: 'udp', host: p.group, port: p.port, multicastInterface: '127.0.0.1' } } });
  },
  receive(msg) {
    reports.push(msg);
  },
}));

const got = (id: string): string[] => reports.flatMap((r) => (r.t === 'ed-msg' && r.id === id ? [messageFrom(r.fields).toMessage()] : []));

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Whether a datagram sent to a group on 127.0.0.1 comes back to a member on this host. */
async function loopbackMulticastWorks(): Promise<string | null> {
  const port = await freeUdpPort();
  let seen = false;
  try {
    const ep = await openMulticast({ group: GROUP, port, interface: '127.0.0.1' }, { message: () => (seen = true) });
    try {
      await sendUdpMessage({ host: GROUP, port }, Message.parse('PROBE'), '', LOOP);
      await waitFor(() => seen, 'the probe', 2000);
    } finally {
      await ep.close();
    }
    return null;
  } catch (err) {
    return `no multicast on the loopback interface here: ${(err as Error).message}`;
  }
}

describe('eventdispatcher UDP multicast', () => {
  let sys: ActorSystem;
  let skip: string | null = null;
  before(async () => {
    skip = await loopbackMulticastWorks();
    sys = await ActorSystem.start({ threads: 0, logLevel: process.env.LOG_LEVEL ?? 'silent', statsIntervalMs: 0 });
  });
  after(async () => {
    await sys.stop();
  });

  it('group addresses are recognised', () => {
    assert.equal(isMulticast('239.255.14.1'), true);
    assert.equal(isMulticast('224.0.0.1'), true);
    assert.equal(isMulticast('ff02::1'), true);
    assert.equal(isMulticast('127.0.0.1'), false);
    assert.equal(isMulticast('240.0.0.1'), false);
  });

  it('two servers on one group both receive a multicast message; a server on another group does not', async (t) => {
    if (skip !== null) return t.skip(skip);
    const port = await freeUdpPort();
    const a = sys.spawn(Owner, { name: 'mc-a', props: { group: GROUP, port, name: 'a' } });
    const b = sys.spawn(Owner, { name: 'mc-b', props: { group: GROUP, port, name: 'b' } });
    const c = sys.spawn(Owner, { name: 'mc-c', props: { group: OTHER_GROUP, port, name: 'c' } });
    await waitFor(() => ['a', 'b', 'c'].every((id) => reports.some((r) => r.t === 'ed-bound' && r.id === id)), 'three bound servers');
    assert.equal(await sendUdpMessage({ host: GROUP, port }, Message.parse('HELLO n=1'), '', LOOP), true);
    assert.equal(await sendUdpMessage({ host: OTHER_GROUP, port }, Message.parse('OTHER n=2'), '', LOOP), true);
    await waitFor(() => got('a').length === 1 && got('b').length === 1 && got('c').length === 1, 'one message at each server');
    assert.deepEqual(got('a'), ['HELLO n=1']);
    assert.deepEqual(got('b'), ['HELLO n=1']);
    assert.deepEqual(got('c'), ['OTHER n=2']);
    // Garbage to the group is dropped and the next message still arrives.
    const raw = dgram.createSocket('udp4');
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', r));
    raw.setMulticastInterface('127.0.0.1');
    raw.setMulticastTTL(0);
    await new Promise<void>((r, j) => raw.send(Buffer.from([0xff, 0xfe, 0x00]), port, GROUP, (e) => (e ? j(e) : r())));
    raw.close();
    await sendUdpMessage({ host: GROUP, port }, Message.parse('AFTER'), '', LOOP);
    await waitFor(() => got('a').length === 2 && got('b').length === 2, 'the message after the garbage');
    assert.equal(got('a')[1], 'AFTER');
    for (const ref of [a, b, c]) await sys.stopActor(ref);
  });

  it('an address that is not a group is refused with one clear error', async () => {
    await assert.rejects(openMulticast({ group: '127.0.0.1', port: 0 }, { message: () => {} }), /cannot listen on 127\.0\.0\.1:0: 127\.0\.0\.1 is not a multicast group address/);
  });
});
