// The message dispatcher and its built-ins (eventdispatcher.md §2, §8 "Dispatcher").

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ImplementationError, Message, ParameterError } from '../../protocols/eventdispatcher/index.ts';
import { Dispatcher, makeMatch, nextTag, PRIORITY } from '../../actors/eventdispatcher/dispatcher.ts';
import { addCommunicatorCommands } from '../../actors/eventdispatcher/builtins.ts';
import { BUILTIN_DEFINITIONS } from '../../actors/eventdispatcher/definitions.ts';
import { recordingLogger } from './helpers.ts';

function setup(autoCatchAll = true) {
  const log = recordingLogger();
  const sent: string[] = [];
  const stops: boolean[] = [];
  const readies: Message[] = [];
  const d = new Dispatcher({ log });
  const state = addCommunicatorCommands(d, {
    send: (m) => (sent.push(m.toMessage()), true),
    stop: (q) => stops.push(q),
    ready: (m) => readies.push(m),
    nowUs: () => 1_700_000_123_456_789,
  }, autoCatchAll);
  return { d, log, sent, stops, readies, state };
}

const BUILTIN_LIST = 'ALIVE,HELP,INVALID,LEAK,LOG_ROTATE,QUITTING,READY,RESTART,SERVICE_UNAVAILABLE,STOP,UNKNOWN';

describe('eventdispatcher dispatcher', () => {
  it('HELP lists the built-ins, sorted; a user HI lands between HELP and INVALID', () => {
    const { d, sent } = setup();
    d.dispatch(Message.parse('<monster:tester HELP'));
    assert.deepEqual(sent, [`monster:tester/COMMANDS list=${BUILTIN_LIST}`]);
    d.addMatch({ expr: 'HI', callback: () => {} });
    d.dispatch(Message.parse('HELP'));
    assert.equal(sent[1], `COMMANDS list=${BUILTIN_LIST.replace('HELP,', 'HELP,HI,')}`);
  });

  it('ALIVE answers ABSOLUTELY with serial, timestamp and a 9-digit reply_timestamp', () => {
    const { d, sent } = setup();
    d.dispatch(Message.parse('<monster:watchdog ALIVE serial=5;timestamp=1700000000.5'));
    assert.deepEqual(sent, ['monster:watchdog/ABSOLUTELY reply_timestamp=1700000123.456789000;serial=5;timestamp=1700000000.5']);
    assert.match(sent[0], /reply_timestamp=\d+\.\d{9};/);
  });

  it('the catch-all answers UNKNOWN; without one processMessage runs, and by default throws', () => {
    const { d, sent } = setup();
    d.dispatch(Message.parse('<monster:tester FOO a=1'));
    assert.deepEqual(sent, ['monster:tester/UNKNOWN command=FOO']);
    const bare = setup(false);
    assert.throws(() => bare.d.dispatch(Message.parse('FOO')), ImplementationError);
    const seen: string[] = [];
    const custom = new Dispatcher({ log: recordingLogger(), processMessage: (m) => seen.push(m.command) });
    assert.equal(custom.dispatch(Message.parse('FOO')), false);
    assert.deepEqual(seen, ['FOO']);
  });

  it('a user STOP at the default priority overrides the built-in one', () => {
    const { d, stops } = setup();
    let mine = 0;
    d.addMatch({ expr: 'STOP', callback: () => mine++ });
    d.dispatch(Message.parse('STOP'));
    assert.equal(mine, 1);
    assert.deepEqual(stops, []);
  });

  it('A(7), B(10), C(0), D(7) are tried C, A, D, B', () => {
    const d = new Dispatcher({ log: recordingLogger() });
    const order: string[] = [];
    for (const [n, p] of [['A', 7], ['B', 10], ['C', 0], ['D', 7]] as const) {
      d.addMatch({ match: 'callback', priority: p, callback: () => order.push(n) });
    }
    d.dispatch(Message.parse('X'));
    assert.deepEqual(order, ['C', 'A', 'D', 'B']);
  });

  it('a callback-only match suppresses the catch-all; a second catch-all is an error', () => {
    const { d, sent } = setup();
    let n = 0;
    d.addMatch({ expr: 'X', match: 'one-to-one-callback', callback: () => n++ });
    assert.equal(d.dispatch(Message.parse('<a:b X')), true);
    assert.equal(n, 1);
    assert.deepEqual(sent, []);
    assert.throws(() => d.addMatch({ match: 'always', callback: () => {} }), ImplementationError);
  });

  it('READY stores my_address and calls the hook; STOP and QUITTING stop', () => {
    const { d, stops, readies, state } = setup();
    assert.equal(state.ready, false);
    d.dispatch(Message.parse('READY my_address=127.0.0.1:4042'));
    assert.equal(state.ready, true);
    assert.equal(state.readyAddress, '127.0.0.1:4042');
    assert.equal(readies.length, 1);
    d.dispatch(Message.parse('STOP'));
    d.dispatch(Message.parse('QUITTING'));
    assert.deepEqual(stops, [false, true]);
  });

  it('INVALID and UNKNOWN log the upstream error text; no reply', () => {
    const { d, log, sent } = setup();
    d.dispatch(Message.parse('UNKNOWN command=FOO;message=no such thing'));
    d.dispatch(Message.parse('INVALID'));
    assert.deepEqual(sent, []);
    const errors = log.lines.filter((l) => l.level === 'error').map((l) => l.msg);
    assert.deepEqual(errors, [
      'we sent command "FOO" and the destination replied with "UNKNOWN" so we probably did not get the expected result. Message: no such thing',
      'we sent command "<undefined>" and the destination replied with "INVALID" so we probably did not get the expected result.',
    ]);
  });

  it('construction errors carry the upstream texts', () => {
    assert.throws(() => makeMatch({ expr: 'X', callback: null }), (e: Error) => e instanceof ParameterError && /callback function is required/.test(e.message));
    assert.throws(() => makeMatch({ expr: '', callback: () => {} }), /an expression is required for the one_to_one_match\(\)/);
    assert.throws(() => makeMatch({ expr: 'X', callback: () => {}, priority: 16 }), /priority too large for dispatcher match\./);
  });

  it('removeMatches removes by tag; tag 0 is a no-op; tags are never 0', () => {
    const d = new Dispatcher({ log: recordingLogger() });
    const tag = nextTag();
    assert.notEqual(tag, 0);
    d.addMatch({ expr: 'A', callback: () => {}, tag });
    d.addMatch({ expr: 'B', callback: () => {} });
    d.removeMatches(0);
    assert.equal(d.entries.length, 2);
    d.removeMatches(tag);
    assert.deepEqual(d.entries.map((e) => e.expr), ['B']);
  });

  it('definitions: a failing check skips the callback with an ERROR; by actual command', () => {
    const { d, log } = setup();
    d.definitions = BUILTIN_DEFINITIONS;
    let got = 0;
    d.addMatch({ match: 'callback', priority: PRIORITY.MIN, callback: () => got++ });
    d.dispatch(Message.parse('COMMANDS')); // list is required
    assert.equal(got, 0);
    assert.match(log.lines.at(-1)!.msg, /parameter "list" is required/);
    d.dispatch(Message.parse('COMMANDS list=A'));
    assert.equal(got, 1);
    d.dispatch(Message.parse('READY my_address=not-an-address'));
    assert.match(log.lines.at(-1)!.msg, /not a valid address/);
    d.dispatch(Message.parse('SERVICE_UNAVAILABLE destination_service=;unsent_command=X'));
    assert.equal(got, 2);
  });

  it('property: the try order equals a stable sort by priority, catch-all last and only when nothing returned TRUE', () => {
    const entry = fc.record({
      priority: fc.integer({ min: 0, max: 15 }),
      kind: fc.constantFrom('one-to-one', 'one-to-one-callback', 'callback', 'never') ,
      expr: fc.constantFrom('A', 'B', 'C'),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), fc.boolean(), fc.constantFrom('A', 'B', 'C', 'D'), (specs, withCatchAll, command) => {
        const ran: number[] = [];
        const d = new Dispatcher({ log: recordingLogger(), processMessage: () => ran.push(-2) });
        specs.forEach((s, i) => {
          const match = s.kind === 'never' ? () => 'false' as const : s.kind;
          d.addMatch({ expr: s.expr, match, priority: s.priority, callback: () => ran.push(i) });
        });
        if (withCatchAll) d.addMatch({ match: 'always', callback: () => ran.push(-1) });
        d.dispatch(Message.parse(command));
        // The model: stable sort by priority, walk, stop at the first TRUE.
        const order = specs.map((s, i) => ({ ...s, i })).sort((a, b) => a.priority - b.priority);
        const expected: number[] = [];
        let done = false;
        let callback = false;
        for (const s of order) {
          const hit = s.kind === 'callback' || ((s.kind === 'one-to-one' || s.kind === 'one-to-one-callback') && s.expr === command);
          if (!hit) continue;
          expected.push(s.i);
          if (s.kind === 'one-to-one') { done = true; break; }
          callback = true;
        }
        if (!done && !callback) expected.push(withCatchAll ? -1 : -2);
        assert.deepEqual(ran, expected);
      }),
      { numRuns: 300 },
    );
  });
});
