// The lottery connection's pure session (actors/lottery/session.ts): events in, effects out, no
// socket. A request split anywhere yields one store; the reply follows the commit and its TP0
// line; unknown protocols, drains and a restarting coordinator give the effects of lottery.md §6.3.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeAAck, encodeABet, encodeAFin, encodeALstQuery, encodeALstReply, encodeB, type Bet } from '../../protocols/lottery/index.ts';
import { openSession, step, type Effect, type Session, type SessionConfig } from '../../actors/lottery/session.ts';

const cfg: SessionConfig = { mode: 'lottery', agencies: 5, maxFrameBytes: 8192, winnersHoldMs: 1000 };
const bet = (i: number): Bet => ({ agency: 2, firstName: `Ana${i}`, lastName: 'Paz', document: String(30000000 + i), birthdate: '1990-01-02', number: 7000 + i });
const kinds = (fx: Effect[]): string[] => fx.map((e) => (e.k === 'tp0' ? `tp0:${e.action}:${e.result}` : e.k));

function fresh(c = cfg): Session {
  const { session, effects } = openSession(c, false);
  assert.deepEqual(effects, []);
  return session;
}

/** Feeds `bytes` cut at `cuts` and returns every effect. */
function feed(s: Session, bytes: Buffer, cuts: number[]): Effect[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const fx: Effect[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    if (p <= at) continue;
    fx.push(...step(s, { type: 'data', chunk: bytes.subarray(at, p) }));
    at = p;
  }
  return fx;
}

test('a protocol B batch split anywhere: one store, then the TP0 line and the ack after the commit', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.nat(), { maxLength: 6 }), (n, cuts) => {
      const s = fresh();
      const bytes = encodeB({ type: 'StoreBatch', agency: 2, bets: Array.from({ length: n }, (_, i) => bet(i)) });
      const fx = feed(s, bytes, cuts);
      assert.deepEqual(kinds(fx), ['no-idle', 'store']);
      const st = fx[1] as Extract<Effect, { k: 'store' }>;
      assert.equal(st.agency, 2);
      assert.equal(st.rows.length, n);
      assert.equal(st.batchId, undefined);
      assert.equal(s.state, 'awaiting');
      const after = step(s, { type: 'stored', reply: { ok: true, stored: n } });
      assert.deepEqual(kinds(after), ['tp0:apuesta_recibida:success', 'write', 'finish']);
      assert.deepEqual((after[0] as Extract<Effect, { k: 'tp0' }>).fields, { cantidad: n });
      assert.deepEqual((after[1] as Extract<Effect, { k: 'write' }>).bufs, [encodeB({ type: 'StoreResponse', status: 0 })]);
      assert.deepEqual(step(s, { type: 'eof' }), [], 'nothing after the finish');
    }),
    { numRuns: 100 },
  );
});

test('the LST resume query split anywhere: asks the store for the agency progress and writes it back; no contract line', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.nat({ max: 99_999_999 }), fc.nat({ max: 1e9 }), fc.array(fc.nat(), { maxLength: 6 }), (agency, last, rows, cuts) => {
      const s = fresh();
      const fx = feed(s, encodeALstQuery(agency), cuts);
      assert.deepEqual(fx, [{ k: 'no-idle' }, { k: 'progress', agency }]);
      const after = step(s, { type: 'progress', progress: { lastBatchId: last, rows } });
      // The connection stays open for the agency's next request (our extension).
      assert.deepEqual(kinds(after), ['log', 'write', 'idle-on']);
      assert.deepEqual((after[1] as Extract<Effect, { k: 'write' }>).bufs, [encodeALstReply(agency, last, rows)]);
      assert.equal(s.state, 'reading');
    }),
    { numRuns: 100 },
  );
  // An unknown agency, or a store that cannot answer: the connection closes without a reply (the
  // agency then starts from its first batch), and nothing is logged as a contract failure.
  const s = fresh();
  assert.deepEqual(kinds(feed(s, encodeALstQuery(9), [])), ['no-idle', 'log', 'finish']);
  const t = fresh();
  feed(t, encodeALstQuery(1), []);
  assert.deepEqual(kinds(step(t, { type: 'progress-failed', error: 'store gone' })), ['log', 'finish']);
});

test('a connection that began with LST stays open: BETs split anywhere, each acknowledged in turn, then FIN parks until WIN and closes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(), { maxLength: 6 }), (batches, cuts) => {
      const s = fresh();
      feed(s, encodeALstQuery(2), cuts);
      step(s, { type: 'progress', progress: { lastBatchId: 0, rows: 0 } });
      for (let id = 1; id <= batches; id++) {
        const fx = feed(s, encodeABet([bet(id), bet(id + 100)], id), cuts);
        assert.deepEqual(kinds(fx), ['no-idle', 'store']);
        assert.equal((fx[1] as Extract<Effect, { k: 'store' }>).batchId, id);
        const after = step(s, { type: 'stored', reply: { ok: true, stored: 2 } });
        assert.deepEqual(kinds(after), ['tp0:apuesta_recibida:success', 'write', 'idle-on']);
        assert.deepEqual((after[1] as Extract<Effect, { k: 'write' }>).bufs, [encodeAAck(2, id)]);
      }
      assert.deepEqual(kinds(feed(s, encodeAFin(2), cuts)), ['no-idle', 'close-agency']);
      assert.deepEqual(kinds(step(s, { type: 'agency-closed' })), ['tp0:cierre_agencia:success', 'winners']);
      assert.deepEqual(kinds(step(s, { type: 'winners', answer: { ready: true, documents: ['1'] } })), ['write', 'finish']);
    }),
    { numRuns: 50 },
  );
  // One request at a time: a second request before the reply is a protocol failure.
  const s = fresh();
  feed(s, encodeALstQuery(2), []);
  assert.deepEqual(kinds(step(s, { type: 'data', chunk: encodeAFin(2) })), ['tp0:recibir_mensaje:fail', 'log', 'finish']);
  // A legacy connection (no LST) still closes after its one reply.
  const t = fresh();
  feed(t, encodeABet([bet(1)], 1), []);
  assert.deepEqual(kinds(step(t, { type: 'stored', reply: { ok: true, stored: 1 } })), ['tp0:apuesta_recibida:success', 'write', 'finish']);
});

test('a failed commit answers status 1 and logs the batch as failed', () => {
  const s = fresh();
  feed(s, encodeB({ type: 'StoreBatch', agency: 2, bets: [bet(1), bet(2)] }), []);
  const fx = step(s, { type: 'stored', reply: { ok: false, reason: 'disk full' } });
  assert.deepEqual(kinds(fx), ['tp0:apuesta_recibida:fail', 'log', 'write', 'finish']);
  assert.deepEqual((fx[2] as Extract<Effect, { k: 'write' }>).bufs, [encodeB({ type: 'StoreResponse', status: 1 })]);
});

test('an agency outside 1..AGENCIES is refused without a store', () => {
  const s = fresh({ ...cfg, agencies: 1 });
  assert.deepEqual(kinds(feed(s, encodeB({ type: 'StoreBatch', agency: 2, bets: [bet(1)] }), [])), ['no-idle', 'tp0:apuesta_recibida:fail', 'log', 'write', 'finish']);
});

test('an unknown first byte: recibir_mensaje fail, closed', () => {
  const s = fresh();
  assert.deepEqual(kinds(step(s, { type: 'data', chunk: Buffer.from('GET / HTTP/1.0\r\n') })), ['tp0:recibir_mensaje:fail', 'log', 'finish']);
});

test('drain: a store in flight is finished, an idle or parked connection is cut', () => {
  const storing = fresh();
  feed(storing, encodeB({ type: 'StoreBatch', agency: 2, bets: [bet(1)] }), []);
  assert.deepEqual(step(storing, { type: 'drain' }), []);
  assert.deepEqual(kinds(step(storing, { type: 'stored', reply: { ok: true, stored: 1 } })), ['tp0:apuesta_recibida:success', 'write', 'finish']);
  const idle = fresh();
  assert.deepEqual(kinds(step(idle, { type: 'drain' })), ['tp0:close_connection:success', 'finish']);
  const late = openSession(cfg, true);
  assert.deepEqual(kinds(late.effects), ['tp0:close_connection:success', 'finish'], 'a connection opened while draining is cut at once');
});

test('winners: a failed ask retries with backoff; the answer is written; a peer that leaves while parked is let go', () => {
  const s = fresh();
  const fx = feed(s, encodeB({ type: 'WinnersRequest', agency: 3 }), []);
  assert.deepEqual(kinds(fx), ['no-idle', 'winners']);
  assert.equal((fx[1] as Extract<Effect, { k: 'winners' }>).holdMs, 1000);
  const delays = [1, 2, 3].map(() => (step(s, { type: 'winners-failed', error: 'thread-died' })[1] as Extract<Effect, { k: 'retry' }>).ms);
  assert.deepEqual(delays, [100, 200, 400]);
  assert.deepEqual(kinds(step(s, { type: 'retry' })), ['winners']);
  assert.deepEqual(kinds(step(s, { type: 'winners', answer: { ready: false } as never })), ['write', 'finish']);
  const gone = fresh();
  feed(gone, encodeB({ type: 'WinnersRequest', agency: 3 }), []);
  assert.deepEqual(kinds(step(gone, { type: 'eof' })), ['finish']);
});

test('echo mode: a line comes back; a line over 64 KiB is a protocol failure', () => {
  const s = fresh({ ...cfg, mode: 'echo' });
  const fx = [...step(s, { type: 'data', chunk: Buffer.from('hel') }), ...step(s, { type: 'data', chunk: Buffer.from('lo\nrest') })];
  assert.deepEqual(kinds(fx), ['tp0:echo:success', 'write', 'finish']);
  assert.equal(Buffer.concat((fx[1] as Extract<Effect, { k: 'write' }>).bufs).toString(), 'hello\n');
  const big = fresh({ ...cfg, mode: 'echo' });
  assert.deepEqual(kinds(step(big, { type: 'data', chunk: Buffer.alloc(70_000, 0x61) })), ['tp0:recibir_mensaje:fail', 'log', 'finish']);
});

test('a peer that stops mid-request: a truncated-request failure; between requests: nothing to report', () => {
  const s = fresh();
  const bytes = encodeB({ type: 'StoreBatch', agency: 2, bets: [bet(1)] });
  step(s, { type: 'data', chunk: bytes.subarray(0, 5) });
  assert.deepEqual(kinds(step(s, { type: 'eof' })), ['tp0:recibir_mensaje:fail', 'log', 'finish']);
  assert.deepEqual(kinds(step(fresh(), { type: 'eof' })), ['log', 'finish']);
  assert.deepEqual(kinds(step(fresh(), { type: 'idle' })), ['tp0:recibir_mensaje:fail', 'finish']);
});
