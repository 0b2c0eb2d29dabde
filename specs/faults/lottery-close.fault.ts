// Fault injection (issue 11, row "the server dies right after reading a protocol B AgencyClose"):
// the close never reaches the store, the connection just drops (what a legacy server does too), and
// the server is gone for a moment. Our agency must send the close again after the reconnect, so
// the draw happens and it gets its winners instead of polling forever.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { clientSettings, runAgencies, startInProcess, tmp, writeAgencyFile } from '../lottery/helpers.ts';

/**
 * A proxy in front of the real server that swallows the first AgencyClose (reads it, forwards
 * nothing, drops the connection) and then refuses connections for `downMs`, like a server killed
 * right after reading the close and started again.
 */
async function swallowingProxy(target: number, downMs: number): Promise<{ port: number; swallowed: () => number; close: () => void }> {
  let swallowed = 0;
  let down = false;
  const socks = new Set<net.Socket>();
  let server: net.Server;
  const listen = (port: number): Promise<number> =>
    new Promise((resolve) => {
      server = net.createServer((c) => {
        socks.add(c);
        c.on('close', () => socks.delete(c));
        let head = Buffer.alloc(0);
        let upstream: net.Socket | null = null;
        c.on('error', () => {});
        c.on('data', (b: Buffer) => {
          if (upstream) return void upstream.write(b);
          head = Buffer.concat([head, b]);
          if (head.length < 2 || head.length < 2 + head.readUInt16BE(0)) return;
          if (swallowed === 0 && head.toString('utf8', 2).startsWith('AgencyClose:')) {
            swallowed++;
            c.destroy();
            if (downMs === 0) return; // a server that dropped the close but stays up (or a legacy one)
            down = true;
            for (const s of socks) s.destroy();
            const again = (server.address() as net.AddressInfo).port;
            server.close();
            setTimeout(() => void listen(again).then(() => (down = false)), downMs);
            return;
          }
          upstream = net.connect({ host: '127.0.0.1', port: target });
          upstream.on('error', () => c.destroy());
          upstream.pipe(c);
          upstream.write(head);
        });
      });
      server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
  const port = await listen(0);
  return { port, swallowed: () => swallowed, close: () => (down ? undefined : server.close()) };
}

describe('faults: a lost protocol B close', () => {
  const cases = [
    { name: 'a close answered by a dropped connection is not taken as confirmed: sent again before asking for winners', downMs: 0, timeoutMs: 15_000, why: 'its dropped close was taken as confirmed' },
    { name: 'the agency sends the close again after reconnecting; the draw happens and it gets its winners', downMs: 400, timeoutMs: 20_000, why: 'the draw never happened' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = tmp();
      const file = writeAgencyFile(dir, 1, ['Ana,Pérez,30111222,1990-01-01,7574', 'Luis,Núñez,30111223,1980-12-31,42']);
      const srv = await startInProcess({ agencies: 1, winnersHoldMs: 300 });
      const proxy = await swallowingProxy(srv.port, c.downMs);
      try {
        const out = await Promise.race([
          runAgencies(srv.system, [clientSettings(1, proxy.port, file, { protocol: 'B', maxAmount: 5 })]),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the agency never got its winners (${c.why})`)), c.timeoutMs)),
        ]);
        assert.equal(proxy.swallowed(), 1);
        assert.equal(out.code, 0);
        assert.equal(out.winners[1], 1);
      } finally {
        proxy.close();
        await srv.stop();
      }
    });
  }
});
