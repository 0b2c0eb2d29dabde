// The demo's dispatcher client over real sockets: a dispatcher that is not listening yet at the
// start is waited for (no crash), a connection lost later is a crash that supervision turns into a
// reconnect, and a restarted client does not crash again on its former socket's last events.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ActorSystem } from '../../runtime/index.ts';
import { encodeLength32, Length32Decoder } from '../../protocols/framing/index.ts';
import { ClientSupervisor } from '../../actors/demo/client.ts';
import { record, waitFor } from '../runtime/helpers.ts';

const systems: ActorSystem[] = [];
const servers: net.Server[] = [];
after(async () => {
  await Promise.all(systems.map((s) => s.stop(2000)));
  for (const s of servers) s.close();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A length32 echo server on `port`; its open sockets are kept so a test can drop them. */
function echoServer(port: number): Promise<{ server: net.Server; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {}); // the client's system stops by destroying its socket
    const d = new Length32Decoder({ maxFrameSize: 1 << 20 });
    s.on('data', (chunk) => {
      for (const f of d.push(chunk)) s.write(encodeLength32(f, { maxFrameSize: 1 << 20 }));
    });
  });
  servers.push(server);
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r({ server, sockets })));
}

interface ClientInfo {
  connected: boolean;
  received: number;
  refusals: number;
}

async function clientInfo(sys: ActorSystem): Promise<{ restarts: number; info: ClientInfo } | undefined> {
  const c = (await sys.snapshot()).actors.find((a) => a.path === '/demo-client/client');
  return c && c.info ? { restarts: c.restarts, info: c.info as ClientInfo } : undefined;
}

test('a dispatcher that starts listening after the client is waited for, without a crash', async () => {
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'silent' });
  systems.push(sys);
  const ev = record(sys);
  const port = await freePort();
  sys.spawn(ClientSupervisor, { name: 'demo-client', props: { host: '127.0.0.1', port, ratePerSecond: 200, reportEveryMs: 60_000 } });
  await waitFor(async () => ((await clientInfo(sys))?.info.refusals ?? 0) >= 2, 'two refused connects');
  await echoServer(port);
  const now = await waitFor(async () => {
    const c = await clientInfo(sys);
    return c && c.info.received >= 5 ? c : undefined;
  }, 'replies once the server listens');
  assert.equal(now.restarts, 0, 'no restart while waiting for the first connection');
  assert.equal(ev.of('crash').length, 0);
  ev.stop();
});

test('once connected, a lost connection and each refused reconnect are one crash each; replies resume when the server is back', async () => {
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'silent' });
  systems.push(sys);
  const ev = record(sys);
  const port = await freePort();
  const first = await echoServer(port);
  sys.spawn(ClientSupervisor, { name: 'demo-client', props: { host: '127.0.0.1', port, ratePerSecond: 200, reportEveryMs: 60_000 } });
  await waitFor(async () => ((await clientInfo(sys))?.info.received ?? 0) >= 3, 'first replies');
  // the server goes away: the connection drops, then reconnects are refused
  first.server.close();
  for (const s of first.sockets) s.destroy();
  await waitFor(() => ev.of('crash', '/demo-client/client').filter((e) => 'reason' in e && e.reason.includes('ECONNREFUSED')).length >= 2, 'two refused reconnects', 10_000);
  await echoServer(port);
  await waitFor(async () => {
    const c = await clientInfo(sys);
    return c && c.info.connected && c.info.received >= 3 ? c : undefined;
  }, 'replies on a new connection', 10_000);
  const reasons = ev.of('crash', '/demo-client/client').map((e) => ('reason' in e ? e.reason : ''));
  // A refused socket never connected, so a "connection closed" after a refusal could only be
  // that socket's own close read by the next incarnation: a crash for nothing.
  assert.ok(!/ECONNREFUSED/.test(reasons[0]), `the first crash is the drop: ${reasons[0]}`);
  for (const r of reasons.slice(1)) assert.match(r, /ECONNREFUSED/, `every later crash is a refusal: ${reasons.join(' | ')}`);
  ev.stop();
});
