// Fault injection (issue 11, row "kills an agency mid-run and starts it again with the same
// command"): an agency process speaking protocol A is killed -9 mid-run and started again with the
// same command. It asks the server what it already holds (LST) and resumes after it: a proxy
// between it and the server sees no batch sent again whose ACK had reached the agency, every row
// is stored exactly once, and the winners are right.
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateData } from '../../actors/lottery/dataset.ts';
import { freePort } from '../dispatcher/helpers.ts';
import { betsCsv, lottery, serverReady, tmp } from '../lottery/helpers.ts';
import { readFileSync } from 'node:fs';

const ROWS = 400;
const BATCH = 4;
const TRIALS = Number(process.env.AGENCY_RESTART_TRIALS ?? 3);

/** A TCP proxy that records the batch id of every protocol A BET it forwards and of every ACK it hands back (any number per connection). */
async function countingProxy(target: number): Promise<{ port: number; sent: number[]; acked: number[]; close(): void }> {
  const sent: number[] = [];
  const acked: number[] = [];
  const socks = new Set<net.Socket>();
  const server = net.createServer((c) => {
    socks.add(c);
    const up = net.connect({ host: '127.0.0.1', port: target });
    socks.add(up);
    // Both directions are parsed as streams of protocol A messages: our agency keeps one
    // connection open for all its requests (LST, then every BET, then FIN).
    let req = Buffer.alloc(0);
    let rep = Buffer.alloc(0);
    c.on('data', (b: Buffer) => {
      req = Buffer.concat([req, b]);
      for (;;) {
        if (req.length < 23) break;
        const type = req.toString('latin1', 0, 3);
        const total = type === 'BET' ? 24 + Number(req.toString('latin1', 3, 11)) : 24;
        if (req.length < total) break;
        if (type === 'BET') sent.push(Number(req.toString('latin1', 15, 23)));
        req = req.subarray(total);
      }
      up.write(b);
    });
    up.on('data', (b: Buffer) => {
      rep = Buffer.concat([rep, b]);
      const ids: number[] = [];
      for (;;) {
        if (rep.length < 12) break;
        const type = rep.toString('latin1', 0, 4);
        const size = Number(rep.toString('latin1', 4, 12));
        const total = type === 'WIN,' ? 12 + size : 13 + size;
        if (rep.length < total) break;
        const m = /^ACK,\d{8},\d+,(\d+)\n$/.exec(rep.toString('latin1', 0, total));
        if (m) ids.push(Number(m[1]));
        rep = rep.subarray(total);
      }
      // Counted once handed to the agency: these batches must never be sent again.
      c.write(b, () => acked.push(...ids));
    });
    for (const [a, b] of [
      [c, up],
      [up, c],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => {
        socks.delete(a);
        b.end();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    sent,
    acked,
    close() {
      server.close();
      for (const s of socks) s.destroy();
    },
  };
}

async function trial(seed: number): Promise<{ ackedBeforeKill: number }> {
  const dir = tmp('lottery-agency-restart-');
  const data = generateData({ agencies: 1, rows: ROWS, seed, out: join(dir, 'in') });
  const dataDir = join(dir, 'server');
  mkdirSync(dataDir); // the server creates no folder it was not asked to
  const port = await freePort();
  const server = lottery(['server', '--port', String(port), '--agencies', '1', '--data', dataDir]);
  await serverReady(server);
  const proxy = await countingProxy(port);
  const file = join(dir, 'in', 'agency-1.csv');
  const agency = () => lottery(['agency', '--server', `127.0.0.1:${proxy.port}`, '--file', file, '--protocol', 'A', '--batch-max', String(BATCH)], { CLI_ID: '1' });
  try {
    const first = agency();
    const killAfter = 10 + (seed * 37) % 60;
    const deadline = Date.now() + 30_000;
    while (proxy.acked.length < killAfter && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    first.child.kill('SIGKILL');
    await first.exited;
    const ackedBeforeKill = new Set(proxy.acked);
    const sentBefore = proxy.sent.length;
    assert.ok(ackedBeforeKill.size >= killAfter, `only ${ackedBeforeKill.size} batches were acknowledged before the kill`);
    assert.ok(ackedBeforeKill.size < ROWS / BATCH, 'the agency finished before the kill');

    const second = agency();
    assert.equal(await second.exited, 0, `the restarted agency failed:\n${second.lines.join('\n')}\n${second.stderr.join('\n')}`);
    const again = proxy.sent.slice(sentBefore).filter((id) => ackedBeforeKill.has(id));
    assert.deepEqual(again, [], `seed ${seed}: batches acknowledged before the kill were sent again`);

    const stored = betsCsv(dataDir);
    const expected = readFileSync(file, 'utf8').split('\r\n').filter((l) => l.length > 0);
    assert.equal(stored.length, expected.length, `seed ${seed}: ${stored.length} rows stored for ${expected.length} in the file`);
    assert.deepEqual(
      stored.map((r) => r.slice(1).join(',')),
      expected,
      'every row stored once, in file order',
    );
    const won = second.lines.find((l) => l.includes('consulta_ganadores'));
    assert.match(won ?? '', new RegExp(`cant_ganadores: ${data.winners[1]}$`));
    return { ackedBeforeKill: ackedBeforeKill.size };
  } finally {
    proxy.close();
    server.kill('SIGKILL');
    await server.exited;
  }
}

describe('faults: an agency killed -9 and started again with the same command', () => {
  it(`resumes after what the server holds (${TRIALS} trials): no acknowledged batch sent again, rows stored once, winners right`, async () => {
    for (let seed = 1; seed <= TRIALS; seed++) await trial(seed);
  });
});
