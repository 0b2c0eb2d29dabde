// Fault injection (issue 11, row "a client with its batch size set to 9999"): a frame cap on both
// lottery protocols; an over-cap protocol A BET is refused without an ACK and logged as §6.1 says
// (`apuesta_recibida | result: fail`), nothing of it is stored, and the next client is served.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { encodeABet, encodeB, type Bet } from '../../protocols/lottery/index.ts';
import { betsCsv, captured, startInProcess, type InProcess } from '../lottery/helpers.ts';

const bet = (agency: number, i: number): Bet => ({ agency, firstName: 'Juan', lastName: 'Perez', document: String(10_000_000 + i), birthdate: '1999-03-17', number: 7574 });

/** Sends bytes, collects everything until the server closes (or ms pass). */
function exchange(port: number, bytes: Buffer, o: { end?: boolean } = {}, ms = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('the server did not close the connection'));
    }, ms);
    s.on('data', (b) => got.push(b));
    s.on('error', () => {}); // a reset after a refused frame is an answer too
    s.on('close', () => {
      clearTimeout(t);
      resolve(Buffer.concat(got));
    });
    if (o.end) s.end(bytes);
    else s.write(bytes);
  });
}

describe('faults: lottery frame cap', () => {
  let srv: InProcess;
  before(async () => {
    srv = await startInProcess({ agencies: 5, maxFrameBytes: 10_240 });
  });
  after(async () => {
    await srv.stop();
  });

  it('a protocol A BET of 9999 bets (over 400 kB) gets no ACK, logs apuesta_recibida fail, stores nothing', async () => {
    const from = captured.length;
    const packet = encodeABet(Array.from({ length: 9999 }, (_, i) => bet(1, i)), 1);
    assert.ok(packet.length > 400_000, `${packet.length}`);
    const reply = await exchange(srv.port, packet);
    assert.equal(reply.length, 0, `replied ${reply.toString('latin1', 0, 40)}`);
    const lines = captured.slice(from);
    assert.ok(lines.some((l) => /action: apuesta_recibida \| result: fail \| cantidad: 9999/.test(l)), lines.join('\n'));
    assert.ok(!lines.some((l) => /recibir_mensaje/.test(l)), lines.join('\n'));
    assert.equal(betsCsv(srv.dataDir).length, 0);
  });

  it('a protocol A BET within the cap is acknowledged and stored', async () => {
    const reply = await exchange(srv.port, encodeABet(Array.from({ length: 40 }, (_, i) => bet(2, i)), 7));
    assert.equal(reply.toString('latin1'), 'ACK,00000004,2,7\n');
    assert.equal(betsCsv(srv.dataDir).length, 40);
  });

  it('a protocol A BET cut short logs apuesta_recibida fail (not recibir_mensaje)', async () => {
    const from = captured.length;
    const full = encodeABet([bet(3, 1), bet(3, 2)], 9);
    await exchange(srv.port, full.subarray(0, full.length - 10), { end: true });
    const lines = captured.slice(from);
    assert.ok(lines.some((l) => /action: apuesta_recibida \| result: fail \| cantidad: 2/.test(l)), lines.join('\n'));
  });

  it('protocol B: a packet over a lower configured cap is refused', async () => {
    const small = await startInProcess({ agencies: 5, maxFrameBytes: 200 });
    try {
      const bets = Array.from({ length: 10 }, (_, i) => bet(4, i));
      const packet = encodeB({ type: 'StoreBatch', agency: 4, bets });
      assert.ok(packet.length > 200);
      const reply = await exchange(small.port, packet);
      assert.notEqual(reply.toString('latin1').slice(2), 'StoreResponse:0');
      assert.equal(betsCsv(small.dataDir).length, 0);
      const ok = await exchange(small.port, encodeB({ type: 'StoreBatch', agency: 4, bets: bets.slice(0, 1) }));
      assert.equal(ok.toString('latin1').slice(2), 'StoreResponse:0');
    } finally {
      await small.stop();
    }
  });
});
