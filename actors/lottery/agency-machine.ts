// The AgencyClient's lifecycle (lottery.md §2) as an xstate machine, apart from the I/O it drives:
//   configuring → (echoing | single | sending → closing → awaitingWinners) → done
// `sending` runs the batch loop as its activity: entered, it starts the loop (sendNext), which sends
// each batch once the one before is acknowledged and reports only how it ends (eof, halt, failed).
// A batch's ACK changes no state, so it is not an event: through the machine it cost ~50 µs of the
// agencies' thread per batch, the thread `lottery run`'s ~450 round trips wait on.
// with `stopped` (SIGTERM: finish the exchange in flight, close the socket and the data file) and
// `failed` (the server stayed unreachable for connectRetryMs). agency.ts supplies the steps (send
// the next batch, the close, ask for winners...) and the guards; this file says when each runs.

import { setup } from 'xstate';

export type AgencyMsg =
  | { type: 'terminate' }
  | { type: 'eof' }
  | { type: 'sent' }
  | { type: 'closed' }
  | { type: 'winners'; documents: string[] }
  | { type: 'notready' }
  | { type: 'echoed'; line: string }
  | { type: 'tick' }
  | { type: 'halt' }
  | { type: 'failed'; action: string; error: string };

type Ev<T extends AgencyMsg['type']> = Extract<AgencyMsg, { type: T }>;

/** What the machine runs: guards, then the steps named in its states. */
export interface AgencySteps {
  echoMode(): boolean;
  betMode(): boolean;
  moreEcho(): boolean;
  logConfig(): void;
  openReader(): void;
  sendNext(): void;
  closeFile(): void;
  sendSingle(): void;
  sendClose(): void;
  askWinners(): void;
  schedulePoll(): void;
  echoStep(): void;
  echoed(e: Ev<'echoed'>): void;
  echoWait(): void;
  echoFinished(): void;
  gotWinners(e: Ev<'winners'>): void;
  terminate(): void;
  fail(e: Ev<'failed'>): void;
  finishOk(): void;
  shutdown(): void;
}

export function agencyMachine(x: AgencySteps) {
  return setup({
    types: {} as { context: { phase: string }; events: AgencyMsg },
    guards: {
      echoMode: () => x.echoMode(),
      betMode: () => x.betMode(),
      moreEcho: () => x.moreEcho(),
    },
    actions: {
      logConfig: () => x.logConfig(),
      openReader: () => x.openReader(),
      sendNext: () => x.sendNext(),
      closeFile: () => x.closeFile(),
      sendSingle: () => x.sendSingle(),
      sendClose: () => x.sendClose(),
      askWinners: () => x.askWinners(),
      schedulePoll: () => x.schedulePoll(),
      echoStep: () => x.echoStep(),
      echoed: ({ event }) => event.type === 'echoed' && x.echoed(event),
      echoWait: () => x.echoWait(),
      echoFinished: () => x.echoFinished(),
      gotWinners: ({ event }) => event.type === 'winners' && x.gotWinners(event),
      terminate: () => x.terminate(),
      fail: ({ event }) => event.type === 'failed' && x.fail(event),
      finishOk: () => x.finishOk(),
      shutdown: () => x.shutdown(),
    },
  }).createMachine({
    id: 'agency',
    context: { phase: 'configuring' },
    initial: 'configuring',
    on: {
      terminate: { actions: 'terminate' },
      halt: '.stopped',
      failed: { target: '.failed', actions: 'fail' },
    },
    states: {
      configuring: {
        entry: 'logConfig',
        always: [
          { guard: 'echoMode', target: 'echoing' },
          { guard: 'betMode', target: 'single' },
          { target: 'sending', actions: 'openReader' },
        ],
      },
      echoing: {
        initial: 'exchanging',
        states: {
          exchanging: {
            entry: 'echoStep',
            on: {
              echoed: [
                { guard: 'moreEcho', target: 'waiting', actions: 'echoed' },
                { target: '#agency.done', actions: ['echoed', 'echoFinished'] },
              ],
            },
          },
          waiting: { entry: 'echoWait', on: { tick: 'exchanging' } },
        },
      },
      single: { entry: 'sendSingle', on: { sent: 'done' } },
      sending: {
        entry: 'sendNext',
        on: {
          eof: { target: 'closing', actions: 'closeFile' },
        },
      },
      closing: {
        entry: 'sendClose',
        on: {
          closed: 'awaitingWinners',
          winners: { target: 'done', actions: 'gotWinners' },
        },
      },
      awaitingWinners: {
        entry: 'askWinners',
        on: {
          winners: { target: 'done', actions: 'gotWinners' },
          notready: { actions: 'schedulePoll' },
          tick: { target: 'awaitingWinners', reenter: true },
        },
      },
      done: { type: 'final', entry: 'finishOk' },
      stopped: { type: 'final', entry: 'shutdown' },
      failed: { type: 'final' },
    },
  });
}
