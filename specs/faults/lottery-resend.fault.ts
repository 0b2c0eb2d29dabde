// Fault injection (issue 11, row "kills an agency mid-run and starts it again with the same
// command"): a protocol A agency restarted from its first batch resends every batch it had sent;
// the server recognises a resend of any committed batch (same id, same rows), durably, also after
// its own restart, so each row is stored exactly once.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { encodeABet, type Bet } from '../../protocols/lottery/index.ts';
import { betsCsv, startInProcess } from '../lottery/helpers.ts';

const bet = (agency: number, i: number): Bet => ({ agency, firstName: 'Ana', lastName: 'Diaz', document: String(20_000_000 + i), birthdate: '2000-01-02', number: i % 10_000 });
const batch = (agency: number, id: number, size = 20): Buffer => encodeABet(Array.from({ length: size }, (_, i) => bet(agency, id * 1000 + i)), id);

function send(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let got = '';
    s.setEncoding('latin1');
    s.on('data', (b: string) => (got += b));
    s.on('error', reject);
    s.on('close', () => resolve(got));
    s.write(bytes);
  });
}

describe('faults: exactly-once protocol A ingest across restarts', () => {
  it('an agency restarted from its first batch stores nothing twice, before and after a server restart', async () => {
    let srv = await startInProcess({ agencies: 3 });
    const dataDir = srv.dataDir;
    try {
      for (let id = 1; id <= 5; id++) assert.equal(await send(srv.port, batch(1, id)), `ACK,00000004,1,${id}\n`.replace('00000004', String(`1,${id}\n`.length).padStart(8, '0')));
      assert.equal(betsCsv(dataDir).length, 100);
      // The agency is killed and started again: batches 1..5 come again, then 6 is new.
      for (let id = 1; id <= 6; id++) assert.match(await send(srv.port, batch(1, id)), new RegExp(`^ACK,\\d{8},1,${id}\\n$`));
      assert.equal(betsCsv(dataDir).length, 120);
      // The same batch id with other rows is a new batch (stored).
      assert.match(await send(srv.port, batch(1, 2, 3)), /^ACK,/);
      assert.equal(betsCsv(dataDir).length, 123);
      await srv.stop();
      srv = await startInProcess({ agencies: 3, dataDir });
      for (let id = 1; id <= 6; id++) assert.match(await send(srv.port, batch(1, id)), new RegExp(`^ACK,\\d{8},1,${id}\\n$`));
      assert.equal(betsCsv(dataDir).length, 123, 'a resend after the server restart was stored again');
    } finally {
      await srv.stop();
    }
  });
});
