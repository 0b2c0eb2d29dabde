// The agency's lifecycle machine (actors/lottery/agency-machine.ts) against a reference written out
// by hand: for any mode (batch, echo, single bet) and any sequence of events, including events that
// do not belong to the state the machine is in, the machine runs the same steps in the same order
// and ends in the same state; a final state ignores everything after it. The batch loop of
// `sending` (one ACK after another) is not the machine's: it sees only how the loop ends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createActor } from 'xstate';
import { agencyMachine, type AgencyMsg, type AgencySteps } from '../../actors/lottery/agency-machine.ts';
import { RUNS } from '../protocols/helpers.ts';

type Mode = 'batch' | 'echo' | 'bet';
type State = 'sending' | 'echoing.exchanging' | 'echoing.waiting' | 'single' | 'closing' | 'awaitingWinners' | 'done' | 'stopped' | 'failed';
const FINAL = new Set<State>(['done', 'stopped', 'failed']);

/** The reference: the steps an event runs in a state and the state it leads to. */
function reference(mode: Mode, events: AgencyMsg[], more: boolean[]): { steps: string[]; state: State } {
  const steps = ['logConfig'];
  let moreAt = 0;
  const start: [State, ...string[]] = mode === 'echo' ? ['echoing.exchanging', 'echoStep'] : mode === 'bet' ? ['single', 'sendSingle'] : ['sending', 'openReader', 'sendNext'];
  let state = start[0] as State;
  steps.push(...start.slice(1));
  const to = (next: State, ...names: string[]): void => {
    steps.push(...names);
    state = next;
  };
  for (const e of events) {
    if (FINAL.has(state)) break;
    if (e.type === 'terminate') steps.push('terminate');
    else if (e.type === 'halt') to('stopped', 'shutdown');
    else if (e.type === 'failed') to('failed', 'fail');
    else if (state === 'sending' && e.type === 'eof') to('closing', 'closeFile', 'sendClose');
    else if (state === 'closing' && e.type === 'closed') to('awaitingWinners', 'askWinners');
    else if ((state === 'closing' || state === 'awaitingWinners') && e.type === 'winners') to('done', 'gotWinners', 'finishOk');
    else if (state === 'awaitingWinners' && e.type === 'notready') steps.push('schedulePoll');
    else if (state === 'awaitingWinners' && e.type === 'tick') steps.push('askWinners'); // re-entered: asks again
    else if (state === 'single' && e.type === 'sent') to('done', 'finishOk');
    else if (state === 'echoing.waiting' && e.type === 'tick') to('echoing.exchanging', 'echoStep');
    else if (state === 'echoing.exchanging' && e.type === 'echoed') {
      if (more[moreAt++ % more.length]) to('echoing.waiting', 'echoed', 'echoWait');
      else to('done', 'echoed', 'echoFinished', 'finishOk');
    }
  }
  return { steps, state };
}

function run(mode: Mode, events: AgencyMsg[], more: boolean[]): { steps: string[]; state: State } {
  const steps: string[] = [];
  let moreAt = 0;
  const step = (name: string) => () => void steps.push(name);
  const x: AgencySteps = {
    echoMode: () => mode === 'echo',
    betMode: () => mode === 'bet',
    moreEcho: () => more[moreAt++ % more.length],
    logConfig: step('logConfig'),
    openReader: step('openReader'),
    sendNext: step('sendNext'),
    closeFile: step('closeFile'),
    sendSingle: step('sendSingle'),
    sendClose: step('sendClose'),
    askWinners: step('askWinners'),
    schedulePoll: step('schedulePoll'),
    echoStep: step('echoStep'),
    echoed: step('echoed'),
    echoWait: step('echoWait'),
    echoFinished: step('echoFinished'),
    gotWinners: step('gotWinners'),
    terminate: step('terminate'),
    fail: step('fail'),
    finishOk: step('finishOk'),
    shutdown: step('shutdown'),
  };
  const actor = createActor(agencyMachine(x)).start();
  for (const e of events) actor.send(e);
  const v = actor.getSnapshot().value;
  const state = (typeof v === 'string' ? v : Object.entries(v).map(([k, s]) => `${k}.${String(s)}`)[0]) as State;
  actor.stop();
  return { steps, state };
}

const event: fc.Arbitrary<AgencyMsg> = fc.oneof(
  fc.constantFrom<AgencyMsg>({ type: 'terminate' }, { type: 'eof' }, { type: 'sent' }, { type: 'closed' }, { type: 'notready' }, { type: 'tick' }, { type: 'halt' }),
  fc.constant<AgencyMsg>({ type: 'winners', documents: ['30904465'] }),
  fc.constant<AgencyMsg>({ type: 'echoed', line: 'hola' }),
  fc.constant<AgencyMsg>({ type: 'failed', action: 'apuesta_enviada', error: 'ECONNRESET' }),
);

describe('agency lifecycle machine', () => {
  it('runs the reference steps and ends in the reference state for any mode and events', () => {
    fc.assert(
      fc.property(fc.constantFrom<Mode>('batch', 'echo', 'bet'), fc.array(event, { maxLength: 25 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }), (mode, events, more) => {
        assert.deepEqual(run(mode, events, more), reference(mode, events, more));
      }),
      { numRuns: RUNS * 20 },
    );
  });

  it('a batch run: sending until eof, closing, polling for winners, done', () => {
    const events: AgencyMsg[] = [{ type: 'eof' }, { type: 'closed' }, { type: 'notready' }, { type: 'tick' }, { type: 'winners', documents: [] }, { type: 'halt' }];
    assert.deepEqual(run('batch', events, [true]), {
      steps: ['logConfig', 'openReader', 'sendNext', 'closeFile', 'sendClose', 'askWinners', 'schedulePoll', 'askWinners', 'gotWinners', 'finishOk'],
      state: 'done',
    });
  });
});
