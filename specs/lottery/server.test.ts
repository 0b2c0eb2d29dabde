// The lottery server against real sockets (lottery.md §3, §5, §6): both protocols on one port,
// validation, all-or-nothing batches, closes, parked winners, escaping, echo mode, AGENCIES = 0.
// Every TP0 line emitted here goes through the ported parser rules (lint).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { exchange } from '../../actors/lottery/exchange.ts';
import {
  encodeABet,
  encodeAFin,
  encodeB,
  makeBet,
  type Bet,
} from '../../protocols/lottery/index.ts';
import { generateData } from '../../actors/lottery/dataset.ts';
import { betsCsv, captured, clientSettings, details, lint, runAgencies, startInProcess, tmp, type InProcess } from './helpers.ts';

function raw(port: number, bytes: Buffer | string, waitMs = 3000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    const t = setTimeout(() => {
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed: false });
    }, waitMs);
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve({ data: Buffer.concat(chunks), closed: true });
    });
  });
}

const bet = (agency: number, doc: string, number: string, first = 'Ana María', last = 'Fernández'): Bet => makeBet(agency, first, last, doc, '1990-05-17', number);

describe('lottery server', () => {
  const servers: InProcess[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it('stores a single bet (B StoreBet), logs apuesta_almacenada with the identical dni, and confirms', async () => {
    const from = captured.length;
    const srv = await startInProcess({ agencies: 2 });
    servers.push(srv);
    const r = await exchange('127.0.0.1', srv.port, encodeB({ type: 'StoreBet', bet: bet(1, '01234567', '7574') }), 'B').promise;
    assert.deepEqual(r, { kind: 'B', packet: { type: 'StoreResponse', status: 0 }, parts: 0 });
    const lines = captured.slice(from);
    lint(lines);
    assert.deepEqual(details(lines, 'apuesta_almacenada'), [{ dni: '01234567', numero: '7574', result: 'success', source: 'server' }]);
    assert.deepEqual(betsCsv(srv.dataDir), [[1, 'Ana María', 'Fernández', '01234567', '1990-05-17', 7574]]);
  });

  it('protocol A resends (same batch id, same bets) are acknowledged again but stored once, also after a restart and after a dropped connection', async () => {
    const dataDir = tmp();
    let srv = await startInProcess({ agencies: 2, dataDir });
    servers.push(srv); // stopped twice when the test passes: stop is idempotent
    const batch1 = [bet(1, '11', '1'), bet(1, '12', '7574')];
    const batch2 = [bet(1, '21', '2')];
    const ack = async (bets: Bet[], id: number): Promise<void> => {
      const r = await exchange('127.0.0.1', srv.port, encodeABet(bets, id, 1), 'A').promise;
      assert.deepEqual(r, { kind: 'A', reply: { type: 'ACK', agency: 1, batchId: id } });
    };
    const stored = (): number => betsCsv(dataDir).length;
    await ack(batch1, 1);
    await ack(batch1, 1); // the ACK was lost: the agency resends
    assert.equal(stored(), 2);
    await ack(batch2, 2);
    await ack(batch1, 1); // an agency restarted from its first batch: any committed batch is recognised (issue 11)
    assert.equal(stored(), 3, 'a resend of an earlier committed batch was stored again');
    await ack(batch2, 3); // same bets, another id: a new batch
    assert.equal(stored(), 4);
    // committed batches are recorded durably: after a restart their resends are still recognised
    await srv.stop();
    srv = await startInProcess({ agencies: 2, dataDir });
    servers.push(srv);
    await ack(batch2, 3);
    await ack(batch1, 1);
    assert.equal(stored(), 4);
    // a BET whose connection drops before the ACK is committed; its resend is not stored again
    const batch3 = [bet(1, '31', '3'), bet(1, '32', '4')];
    const s = net.connect({ host: '127.0.0.1', port: srv.port }, () => {
      s.write(encodeABet(batch3, 4, 1));
      s.destroy();
    });
    for (let i = 0; i < 200 && stored() < 6; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(stored(), 6);
    await ack(batch3, 4);
    assert.equal(stored(), 6);
    const info = (await srv.system.snapshot()).actors.find((a) => a.path.endsWith('/store'))?.info as { resends: number };
    assert.equal(info.resends, 3);
  });

  it('answers a protocol A batch with the exact ACK bytes and logs one apuesta_recibida before replying', async () => {
    const from = captured.length;
    const srv = await startInProcess({ agencies: 3 });
    servers.push(srv);
    const bets = [bet(3, '00000000', '1'), bet(3, '12', '7574'), bet(3, '99999999', '0')];
    const { data } = await raw(srv.port, encodeABet(bets, 42, 1));
    assert.equal(data.toString(), 'ACK,00000005,3,42\n');
    const lines = captured.slice(from);
    lint(lines);
    assert.deepEqual(details(lines, 'apuesta_recibida').map((d) => d.cantidad), ['3']);
    assert.deepEqual(betsCsv(srv.dataDir).map((r) => r[3]), ['00000000', '12', '99999999']);
  });

  it('in mode bet, a one-bet protocol A message logs apuesta_almacenada', async () => {
    const from = captured.length;
    const srv = await startInProcess({ agencies: 1, mode: 'bet' });
    servers.push(srv);
    const { data } = await raw(srv.port, encodeABet([bet(1, '30904465', '7574')], 1, 1));
    assert.equal(data.toString(), 'ACK,00000004,1,1\n');
    const lines = captured.slice(from);
    lint(lines);
    assert.deepEqual(details(lines, 'apuesta_almacenada').map((d) => d.dni), ['30904465']);
  });

  it('rejects a whole batch when one bet is invalid (nothing stored; B StoreResponse:1, A no ACK)', async () => {
    const from = captured.length;
    const srv = await startInProcess({ agencies: 2 });
    servers.push(srv);
    const goodB = 'StoreBatch:1:Ana;Gómez;123;2000-01-01;5:Luis;Paz;456;2000-01-01;6';
    const badB = Buffer.from('StoreBatch:1:Ana;Gómez;123;2000-01-01;5:Luis;Paz;45x;2000-01-01;6');
    const frame = Buffer.concat([Buffer.from([badB.length >> 8, badB.length & 255]), badB]);
    const b = await raw(srv.port, frame);
    assert.deepEqual([...b.data], [...encodeB({ type: 'StoreResponse', status: 1 })]);
    const badA = encodeABet([bet(2, '1', '1'), bet(2, '2', '2')], 9, 1).toString().replace('1990-05-17,2', '1990-02-30,2');
    const a = await raw(srv.port, badA);
    assert.equal(a.data.length, 0);
    assert.equal(a.closed, true);
    // an agency outside 1..AGENCIES
    const c = await exchange('127.0.0.1', srv.port, encodeB({ type: 'StoreBatch', agency: 3, bets: [bet(3, '1', '1')] }), 'B').promise;
    assert.equal(c.kind === 'B' && c.packet.type === 'StoreResponse' && c.packet.status, 1);
    assert.deepEqual(betsCsv(srv.dataDir), []);
    const lines = captured.slice(from);
    lint(lines, { allowFail: true });
    assert.deepEqual(details(lines, 'apuesta_recibida').map((d) => `${d.result}:${d.cantidad}`), ['fail:2', 'fail:2', 'fail:1']);
    void goodB;
  });

  it('records closes durably, rejects bets from a closed agency, and treats a repeated close as a no-op', async () => {
    const from = captured.length;
    const srv = await startInProcess({ agencies: 2 });
    servers.push(srv);
    const close = async () => (await exchange('127.0.0.1', srv.port, encodeB({ type: 'AgencyClose', agency: 1 }), 'B').promise);
    assert.deepEqual(await close(), { kind: 'B', packet: { type: 'StoreResponse', status: 0 }, parts: 0 });
    assert.deepEqual(await close(), { kind: 'B', packet: { type: 'StoreResponse', status: 0 }, parts: 0 });
    const r = await exchange('127.0.0.1', srv.port, encodeB({ type: 'StoreBatch', agency: 1, bets: [bet(1, '5', '5')] }), 'B').promise;
    assert.equal(r.kind === 'B' && r.packet.type === 'StoreResponse' && r.packet.status, 1);
    const st = await srv.server.status();
    assert.deepEqual(st?.closed, [1]);
    assert.equal(st?.state, 'collecting');
    lint(captured.slice(from), { allowFail: true });
  });

  it('parks winners until every agency has closed; each agency gets only its own winners, keyed by agency', async () => {
    const from = captured.length;
    const srv = await startInProcess({ agencies: 3, winnersHoldMs: 300 });
    servers.push(srv);
    const send = (a: number, bets: Bet[]) => exchange('127.0.0.1', srv.port, encodeB({ type: 'StoreBatch', agency: a, bets }), 'B').promise;
    // the same DNI wins in agencies 1 and 3, with different rows; agency 2 has no winner
    await send(1, [bet(1, '00011111', '7574'), bet(1, '22222222', '1'), bet(1, '00011111', '7574')]);
    await send(2, [bet(2, '00011111', '7573')]);
    await send(3, [bet(3, '00011111', '7574', 'Zoë', 'Núñez')]);
    // protocol A agency 1 parks on FIN
    const fin = exchange('127.0.0.1', srv.port, encodeAFin(1), 'A');
    let finDone = false;
    void fin.promise.then(() => (finDone = true));
    // protocol B before the draw: NotReadyResponse after winnersHoldMs
    await exchange('127.0.0.1', srv.port, encodeB({ type: 'AgencyClose', agency: 2 }), 'B').promise;
    const early = await exchange('127.0.0.1', srv.port, encodeB({ type: 'WinnersRequest', agency: 2 }), 'B').promise;
    assert.equal(early.kind === 'B' && early.packet.type, 'NotReadyResponse');
    assert.equal(finDone, false);
    assert.equal(details(captured.slice(from), 'sorteo').filter((d) => d.result === 'success').length, 0);
    const parkedB = exchange('127.0.0.1', srv.port, encodeB({ type: 'WinnersRequest', agency: 3 }), 'B', { timeoutMs: 5000 });
    await exchange('127.0.0.1', srv.port, encodeB({ type: 'AgencyClose', agency: 3 }), 'B').promise;
    const w1 = await fin.promise;
    assert.deepEqual(w1, { kind: 'A', reply: { type: 'WIN', documents: ['00011111', '00011111'] } });
    const w3 = await parkedB.promise;
    assert.deepEqual(w3.kind === 'B' && w3.packet, { type: 'WinnersResponse', documents: ['00011111'] });
    const w2 = await exchange('127.0.0.1', srv.port, encodeB({ type: 'WinnersRequest', agency: 2 }), 'B').promise;
    assert.deepEqual(w2.kind === 'B' && w2.packet, { type: 'WinnersResponse', documents: [] });
    const lines = captured.slice(from);
    const report = lint(lines);
    assert.equal(report.sorteo, 1);
  });

  it('keeps names with : ; , % quotes and accents intact from the wire to bets.csv', async () => {
    const srv = await startInProcess({ agencies: 1 });
    servers.push(srv);
    const names: [string, string][] = [
      ['A:na;b,c%s', 'O"Brien \\ Ñandú'],
      ['action: x | result: ok', 'Zoë 😀'],
    ];
    const bets = names.map(([f, l], i) => bet(1, String(i), '1', f, l));
    const r = await exchange('127.0.0.1', srv.port, encodeB({ type: 'StoreBatch', agency: 1, bets }), 'B').promise;
    assert.equal(r.kind === 'B' && r.packet.type === 'StoreResponse' && r.packet.status, 0);
    const { data } = await raw(srv.port, encodeABet([bet(1, '9', '9', 'x,y;z:w\\', '%d%n')], 1, 1));
    assert.equal(data.toString(), 'ACK,00000004,1,1\n');
    assert.deepEqual(
      betsCsv(srv.dataDir).map((row) => [row[1], row[2]]),
      [...names, ['x,y;z:w\\', '%d%n']],
    );
  });

  it('rejects an unknown first byte and a stream cut mid-frame, and times out idle reads', async () => {
    const from = captured.length;
    const srv = await startInProcess({ agencies: 1, idleTimeoutMs: 200 });
    servers.push(srv);
    assert.equal((await raw(srv.port, 'GET / HTTP/1.0\r\n\r\n')).closed, true);
    const partial = encodeB({ type: 'StoreBet', bet: bet(1, '1', '1') }).subarray(0, 10);
    assert.equal((await raw(srv.port, partial, 2000)).closed, true);
    const lines = captured.slice(from);
    lint(lines, { allowFail: true });
    assert.deepEqual(details(lines, 'recibir_mensaje').map((d) => d.error), ['unknown-protocol', 'idle-timeout']);
  });

  it('echo mode replies with the same line and closes', async () => {
    const srv = await startInProcess({ agencies: 0, mode: 'echo' });
    servers.push(srv);
    const msg = '[CLIENT 1] Message N°1\n';
    const { data, closed } = await raw(srv.port, msg);
    assert.equal(data.toString('utf8'), msg);
    assert.equal(closed, true);
  });

  it('runs K acceptors on K threads on one port, all sharing the one BetStore and DrawCoordinator', async () => {
    // Worker threads write their TP0 lines straight to stdout: keep them quiet here.
    const srv = await startInProcess({ agencies: 3, servers: 3, loggingLevel: 'ERROR' }, 3);
    servers.push(srv);
    const dir = tmp();
    generateData({ agencies: 3, rows: 300, seed: 4, out: dir, winnersPerAgency: (a) => a });
    const out = await runAgencies(srv.system, [1, 2, 3].map((i) => clientSettings(i, srv.port, `${dir}/agency-${i}.csv`, { maxAmount: 5, logLevel: 'ERROR', protocol: i === 2 ? 'A' : 'B' })));
    assert.deepEqual(out.winners, { 1: 1, 2: 2, 3: 3 });
    const snap = await srv.system.snapshot();
    const per = new Map<number, number>();
    for (const a of snap.actors) if (a.kind === 'Connection') per.set(a.thread, (per.get(a.thread) ?? 0) + ((a.info as { sessions?: number })?.sessions ?? 0));
    assert.deepEqual([...per.keys()].sort(), [0, 1, 2], 'connections were accepted on every acceptor thread');
    assert.equal(snap.actors.filter((a) => a.kind === 'BetStore').length, 1);
    assert.equal(snap.actors.filter((a) => a.kind === 'DrawCoordinator').length, 1);
    assert.equal((await srv.server.status())?.state, 'drawn');
    assert.equal(betsCsv(srv.dataDir).length, 900);
  });

  it('starts and stops cleanly with AGENCIES = 0 (no draw)', async () => {
    const from = captured.length;
    const srv = await startInProcess({ agencies: 0 });
    const st = await srv.server.status();
    assert.equal(st?.state, 'collecting');
    await srv.stop();
    const lines = captured.slice(from);
    lint(lines, { expectDraw: false });
    assert.ok(lines.some((l) => l.includes('action: close_listener | result: success')));
    assert.ok(lines.some((l) => l.includes('action: close_store | result: success')));
  });
});
