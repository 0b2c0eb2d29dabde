// Draw ordering against an xstate model (lottery.md §6.4, §11): for random interleavings of agency
// closes (repeated ones included), winners requests and coordinator crashes (a restart reloads the
// durable state), the DrawCoordinator answers no winners request and logs no sorteo before every
// agency has closed, logs sorteo exactly once, and gives each agency exactly its own winners.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { assign, createActor, setup } from 'xstate';
import type { CoordinatorStatus, WinnersAnswer } from '../../actors/lottery/coordinator.ts';
import { makeBet, toRow } from '../../protocols/lottery/index.ts';
import { captured, details, lint, startInProcess } from './helpers.ts';

/** The reference model: a set of closed agencies; drawn once it holds all of them. */
const model = setup({
  types: {} as { context: { n: number; closed: number[] }; events: { type: 'close'; agency: number }; input: { n: number } },
  guards: { all: ({ context }) => context.closed.length >= context.n },
}).createMachine({
  context: ({ input }) => ({ n: input.n, closed: [] }),
  initial: 'collecting',
  states: {
    collecting: {
      always: { guard: 'all', target: 'drawn' },
      on: { close: { actions: assign({ closed: ({ context, event }) => [...new Set([...context.closed, event.agency])] }) } },
    },
    drawn: {},
  },
});

type Op = { op: 'close'; agency: number } | { op: 'ask'; agency: number } | { op: 'crash' };

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('draw ordering (model-based)', () => {
  it('matches the model for random closes, requests and coordinator crashes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.array(
              fc.oneof(
                fc.integer({ min: 1, max: n }).map((agency): Op => ({ op: 'close', agency })),
                fc.integer({ min: 1, max: n }).map((agency): Op => ({ op: 'ask', agency })),
                fc.constant<Op>({ op: 'crash' }),
              ),
              { maxLength: 14 },
            ),
          ),
        ),
        async ([n, ops]) => {
          const from = captured.length;
          const srv = await startInProcess({ agencies: n });
          try {
            const store = srv.server.store;
            const draw = srv.server.coordinator;
            // agency a has a winning bets (the same DNI everywhere) and one losing bet
            const expected: Record<number, string[]> = {};
            for (let a = 1; a <= n; a++) {
              const bets = [makeBet(a, 'A', 'B', '00000042', '2000-01-01', '1')];
              for (let w = 0; w < a; w++) bets.push(makeBet(a, 'W', 'X', '00000007', '2000-01-01', '7574'));
              expected[a] = Array(a).fill('00000007');
              assert.deepEqual(await store.ask({ t: 'store', agency: a, rows: bets.map(toRow) }), { ok: true, stored: bets.length });
            }
            const m = createActor(model, { input: { n } }).start();
            const answered: { agency: number; at: string; docs: string[] }[] = [];
            const pending: Promise<void>[] = [];
            const ask = (agency: number): Promise<void> =>
              draw.ask<WinnersAnswer>({ type: 'winners', agency }, { timeoutMs: 60_000 }).then(
                (a) => {
                  assert.equal(a.ready, true);
                  answered.push({ agency, at: String(m.getSnapshot().value), docs: a.ready ? a.documents : [] });
                },
                () => ask(agency), // the coordinator crashed while the request was parked: ask again
              );
            for (const o of ops) {
              if (o.op === 'close') {
                await store.ask({ t: 'close', agency: o.agency });
                m.send({ type: 'close', agency: o.agency });
              } else if (o.op === 'ask') pending.push(ask(o.agency));
              else draw.tell({ type: 'failed', error: 'test crash' });
              await tick();
              for (const a of answered) assert.equal(a.at, 'drawn', 'a winners reply came before every agency closed');
              const sorteos = details(captured.slice(from), 'sorteo').filter((d) => d.result === 'success').length;
              let st: CoordinatorStatus | null = null;
              for (let i = 0; i < 100 && st === null; i++) st = await draw.ask<CoordinatorStatus>({ type: 'status' }, { timeoutMs: 1000 }).catch(() => (tick(), null));
              if (m.getSnapshot().value === 'collecting') {
                assert.equal(sorteos, 0, 'sorteo before every agency closed');
                assert.notEqual(st?.state, 'drawn');
              } else {
                for (let i = 0; i < 100 && st?.state !== 'drawn'; i++) st = await (tick(), draw.ask<CoordinatorStatus>({ type: 'status' }, { timeoutMs: 1000 }).catch(() => null));
                assert.equal(st?.state, 'drawn');
                assert.equal(details(captured.slice(from), 'sorteo').filter((d) => d.result === 'success').length, 1, 'sorteo exactly once');
              }
            }
            // close everything left: every parked request is answered, each with its own winners
            for (let a = 1; a <= n; a++) {
              await store.ask({ t: 'close', agency: a });
              m.send({ type: 'close', agency: a });
            }
            await Promise.all(pending);
            for (let i = 0; i < 200; i++) {
              const st = await draw.ask<CoordinatorStatus>({ type: 'status' }, { timeoutMs: 1000 }).catch(() => null);
              if (st?.state === 'drawn') break;
              await tick();
            }
            for (const a of answered) assert.deepEqual(a.docs, expected[a.agency]);
            assert.equal(answered.length, pending.length);
            lint(captured.slice(from), { expectDraw: true });
          } finally {
            await srv.stop();
          }
        },
      ),
      { numRuns: Number(process.env.MODEL_RUNS ?? 25) },
    );
  });
});
