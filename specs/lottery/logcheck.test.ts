// The ported parser rules themselves (lottery.md §4): what the official tests reject, we reject.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkLog, LogCheck, parseLine } from '../../actors/lottery/logcheck.ts';
import { Tp0Log } from '../../actors/lottery/tp0log.ts';

describe('TP0 log checker', () => {
  it('reads only lines with action: or exited with code, and splits them per the rules', () => {
    assert.equal(parseLine('server | just a line', 1), null);
    assert.deepEqual(parseLine('client1 | 2024-01-01 10:00:00 INFO     action: consulta_ganadores | result: success | cant_ganadores: 2', 1), {
      n: 1,
      source: 'client1',
      action: 'consulta_ganadores',
      result: 'success',
      details: { cant_ganadores: '2' },
    });
    assert.deepEqual(parseLine('client3 exited with code 0', 2), { n: 2, source: 'client3', code: 0 });
  });

  it('rejects what breaks the official parser', () => {
    const bad = [
      'server | action: apuesta_recibida', // no result
      'server | action: x | result: ok', // result word
      'server | action: x | result: not_ready',
      'server | action: x | result: success | detail without colon',
      'server | action: x | result: success | source: y', // forbidden name
      'server | action: apuesta_recibida | result: success | cantidad: "3"',
      'server | action: apuesta_recibida | result: success | cantidad: 3 bets',
    ];
    for (const l of bad) assert.equal(typeof parseLine(l, 1), 'string', l);
  });

  it('checks ordering: bets before sorteo, winners after it, exits after the draw with code 0', () => {
    const good = [
      'server | action: apuesta_recibida | result: success | cantidad: 2',
      'server | action: sorteo | result: success',
      'client1 | action: consulta_ganadores | result: success | cant_ganadores: 1',
      'client1 exited with code 0',
    ].join('\n');
    assert.deepEqual(checkLog(good, { clients: ['client1'], expectedBets: 2, expectedWinners: { client1: 1 } }).problems, []);
    const wrong = [
      'client1 | action: consulta_ganadores | result: success | cant_ganadores: 1',
      'server | action: sorteo | result: success',
      'server | action: apuesta_recibida | result: success | cantidad: 2',
      'server | action: sorteo | result: success',
      'client1 exited with code 1',
      'client2 | action: x | result: fail',
    ].join('\n');
    const p = checkLog(wrong, { clients: ['client1'], expectedBets: 2 }).problems.join('\n');
    for (const what of ['before sorteo', 'after sorteo', 'exactly one sorteo', 'exited with code 1', 'logged a fail', 'sum of cantidad']) assert.match(p, new RegExp(what));
  });

  it('our writer emits the exact layout, with values made parser-safe', () => {
    const lines: string[] = [];
    const log = new Tp0Log({ level: 'INFO', write: (l) => lines.push(l) });
    log.info('receive_message', 'success', { client_id: 1, msg: 'a|b:c' });
    log.debug('hidden', 'success');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO {5}action: receive_message \| result: success \| client_id: 1 \| msg: a_b_c\n$/);
    assert.notEqual(typeof parseLine(`client1 | ${lines[0].trim()}`, 1), 'string');
  });

  it('gives the same report fed in any chunks as on the whole text (lottery run feeds it as it writes)', () => {
    const line = fc.constantFrom(
      'server | 2024-01-01 10:00:00 INFO     action: apuesta_recibida | result: success | cantidad: 3',
      'server | 2024-01-01 10:00:01 INFO     action: sorteo | result: success',
      'client1 | 2024-01-01 10:00:02 INFO     action: consulta_ganadores | result: success | cant_ganadores: 2',
      'client1 exited with code 0',
      'client2 exited with code 1',
      'server | action: x | result: ok',
      'server | not an action line',
      '',
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 8 }), (lines, crlf, lastNewline, cuts) => {
        const text = lines.join(crlf ? '\r\n' : '\n') + (lastNewline && lines.length > 0 ? '\n' : '');
        const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const check = new LogCheck();
        let from = 0;
        for (const c of [...at, text.length]) {
          check.push(text.slice(from, c));
          from = c;
        }
        const o = { clients: ['client1'], expectedBets: 3, expectedWinners: { client1: 2 } };
        assert.deepEqual(check.report(o), checkLog(text, o));
      }),
      { numRuns: 300 },
    );
  });
});
