// DrawCoordinator (lottery.md §6.4): an xstate machine `loading → collecting → drawing → drawn`.
// - loading: reads the durable closed set and draw flag from the BetStore (a restarted server does
//   not wait for closes it already recorded); closes and winners requests that arrive meanwhile
//   are kept.
// - collecting: counts distinct closed agencies; winners requests are parked (never answered
//   with partial data). Protocol B requests carry a hold time after which they get "not ready".
// - drawing: asks the BetStore to scan every stored bet and mark the draw durably; logs `sorteo`
//   exactly once (not again after a restart that finds the draw recorded), before any reply.
// - drawn: the winners map (keyed by agency id) is frozen; requests are answered at once, each
//   agency with its own list only.
// With AGENCIES = 0 there is nothing to wait for and no draw.

import { assign, setup } from 'xstate';
import { defineMachineActor, type Reply } from '../../runtime/index.ts';
import { Tp0Log } from './tp0log.ts';
import type { BetStoreMsg, DrawScan, StoreState } from './betstore.ts';

export type WinnersAnswer = { ready: true; documents: string[] } | { ready: false };
export interface CoordinatorStatus {
  state: string;
  agencies: number;
  closed: number[];
  parked: number;
}

export type CoordinatorMsg =
  | { type: 'closed'; agency: number }
  /** ask -> WinnersAnswer. `holdMs`: answer `{ready:false}` if not drawn by then (protocol B). */
  | { type: 'winners'; agency: number; holdMs?: number }
  /** ask -> CoordinatorStatus */
  | { type: 'status' }
  | { type: 'loaded'; closed: number[]; drawn: boolean }
  | { type: 'scanned'; scan: DrawScan }
  | { type: 'failed'; error: string }
  | { type: 'hold.expired'; id: number };

export interface CoordinatorProps {
  agencies: number;
  store: { path: string; thread: number };
  loggingLevel: string;
  source?: string;
}

interface Parked {
  id: number;
  agency: number;
  reply: Reply;
}

interface Ctx {
  agencies: number;
  closed: number[];
  parked: Parked[];
  winners: Record<number, string[]> | null;
}

export const DrawCoordinator = defineMachineActor<CoordinatorMsg, CoordinatorProps>(import.meta.url, 'DrawCoordinator', (props, ctx) => {
  const log = new Tp0Log({ level: props.loggingLevel, source: props.source });
  const store = ctx.refFor<BetStoreMsg>(props.store.path, props.store.thread);
  let seq = 0;

  const answer = (c: Ctx, agency: number): WinnersAnswer => ({ ready: true, documents: c.winners?.[agency] ?? [] });

  const machine = setup({
    types: {} as { context: Ctx; events: CoordinatorMsg; input: { agencies: number } },
    guards: {
      allClosed: ({ context }) => context.agencies > 0 && context.closed.length >= context.agencies,
      loadedDrawn: ({ event }) => event.type === 'loaded' && event.drawn,
      loadedAllClosed: ({ context, event }) =>
        event.type === 'loaded' && context.agencies > 0 && new Set([...context.closed, ...event.closed]).size >= context.agencies,
    },
    actions: {
      addClosed: assign({
        closed: ({ context, event }) => {
          const add = event.type === 'closed' ? [event.agency] : event.type === 'loaded' ? event.closed : [];
          const s = new Set(context.closed);
          for (const a of add) if (a >= 1 && a <= context.agencies) s.add(a);
          return [...s].sort((a, b) => a - b);
        },
      }),
      park: ({ context, event }) => {
        if (event.type !== 'winners') return;
        const reply = ctx.deferReply();
        if (!reply) return;
        const id = ++seq;
        context.parked.push({ id, agency: event.agency, reply });
        if (event.holdMs !== undefined) ctx.timers.once(`hold-${id}`, event.holdMs, { type: 'hold.expired', id });
        if (log.enabled('DEBUG')) log.debug('sorteo', 'in_progress', { agencias_cerradas: context.closed.length });
      },
      expire: ({ context, event }) => {
        if (event.type !== 'hold.expired') return;
        const i = context.parked.findIndex((p) => p.id === event.id);
        if (i < 0) return;
        const [p] = context.parked.splice(i, 1);
        p.reply.resolve({ ready: false } satisfies WinnersAnswer);
      },
      answerNow: ({ context, event }) => {
        if (event.type === 'winners') ctx.reply(answer(context, event.agency));
      },
      status: ({ context, self }) => {
        const v = self.getSnapshot().value;
        ctx.reply({ state: String(v), agencies: context.agencies, closed: context.closed, parked: context.parked.length } satisfies CoordinatorStatus);
      },
      load: () => {
        store.ask<StoreState>({ t: 'state' }, { timeoutMs: 30_000 }).then(
          (s) => ctx.self.tell({ type: 'loaded', closed: s.closed, drawn: s.drawn }),
          (err) => ctx.self.tell({ type: 'failed', error: `cannot load the draw state: ${(err as Error).message}` }),
        );
      },
      scan: () => {
        store.ask<DrawScan>({ t: 'draw' }, { timeoutMs: 120_000 }).then(
          (scan) => ctx.self.tell({ type: 'scanned', scan }),
          (err) => ctx.self.tell({ type: 'failed', error: `draw scan failed: ${(err as Error).message}` }),
        );
      },
      publish: assign({
        winners: ({ event }) => {
          if (event.type !== 'scanned') return null;
          const w: Record<number, string[]> = {};
          for (const [agency, docs] of event.scan.winners) w[agency] = docs;
          // Logged once: a restart that finds the draw recorded does not log it again.
          if (!event.scan.alreadyDrawn) log.info('sorteo', 'success');
          ctx.log.info('draw done', { bets: event.scan.bets, winners: event.scan.winners.map(([a, d]) => [a, d.length]) });
          return w;
        },
      }),
      release: ({ context }) => {
        const parked = context.parked.splice(0);
        for (const p of parked) {
          ctx.timers.cancel(`hold-${p.id}`);
          p.reply.resolve(answer(context, p.agency));
        }
      },
      crash: ({ event }) => {
        if (event.type === 'failed') throw new Error(event.error);
      },
    },
  }).createMachine({
    id: 'draw',
    context: ({ input }) => ({ agencies: input.agencies, closed: [], parked: [], winners: null }),
    initial: 'loading',
    on: {
      status: { actions: 'status' },
      'hold.expired': { actions: 'expire' },
      failed: { actions: 'crash' },
    },
    states: {
      loading: {
        entry: 'load',
        on: {
          closed: { actions: 'addClosed' },
          winners: { actions: 'park' },
          loaded: [
            { guard: 'loadedDrawn', actions: 'addClosed', target: 'drawing' },
            { guard: 'loadedAllClosed', actions: 'addClosed', target: 'drawing' },
            { actions: 'addClosed', target: 'collecting' },
          ],
        },
      },
      collecting: {
        always: { guard: 'allClosed', target: 'drawing' },
        on: {
          closed: { actions: 'addClosed' },
          winners: { actions: 'park' },
        },
      },
      drawing: {
        entry: 'scan',
        on: {
          closed: { actions: 'addClosed' },
          winners: { actions: 'park' },
          scanned: { actions: ['publish', 'release'], target: 'drawn' },
        },
      },
      drawn: {
        on: {
          closed: {},
          winners: { actions: 'answerNow' },
        },
      },
    },
  });
  return { machine, input: { agencies: props.agencies } };
});
