// Datagram size limits and secret codes (eventdispatcher.md §5).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidMessageError, Message } from '../../protocols/eventdispatcher/index.ts';
import { checkSecret, DatagramIntake, encodeDatagram, UNIX_DATAGRAM_MAX } from '../../actors/eventdispatcher/datagram.ts';
import { recordingLogger } from './helpers.ts';

describe('eventdispatcher datagrams', () => {
  it('1,024 bytes pass; 1,025 are refused at send time with the upstream text; 64 KiB for Unix datagrams', () => {
    const sized = (n: number): Message => Message.parse(`X p=${'a'.repeat(n - 4)}`);
    assert.equal(encodeDatagram(sized(1024)).length, 1024);
    assert.throws(() => encodeDatagram(sized(1025)), (e: Error) => e instanceof InvalidMessageError && /message too large \(1025 bytes\) for a UDP server \(max: DATAGRAM_MAX_SIZE\)/.test(e.message));
    assert.equal(encodeDatagram(sized(2000), '', UNIX_DATAGRAM_MAX).length, 2000);
    // The secret code is added to a copy and counts in the size.
    const m = Message.parse('X');
    assert.equal(encodeDatagram(m, 'abc').toString(), 'X secret_code=abc');
    assert.equal(m.hasParameter('secret_code'), false);
  });

  it('the secret-code table', () => {
    const m = (s: string): Message => Message.parse(s);
    assert.equal(checkSecret(m('X secret_code=a'), 'a'), 'dispatch');
    assert.equal(checkSecret(m('X secret_code=b'), 'a'), 'drop');
    assert.equal(checkSecret(m('X secret_code=b'), ''), 'warn');
    assert.equal(checkSecret(m('X'), 'a'), 'drop');
    assert.equal(checkSecret(m('X'), ''), 'dispatch');
  });

  it('a secret-code failure drops that datagram and ends the round; a parse failure does not; secret_code stays in', () => {
    const log = recordingLogger();
    const got: string[] = [];
    const intake = new DatagramIntake({ log, label: 'udp', secretCode: 's', message: (m) => got.push(m.toMessage()) });
    for (const d of ['A secret_code=s', '<a:b', 'B secret_code=s', 'C', 'D secret_code=s']) intake.push(Buffer.from(d));
    assert.equal(intake.round(), 2);
    assert.deepEqual(got, ['A secret_code=s', 'B secret_code=s']);
    assert.equal(intake.queued, 1);
    intake.round();
    assert.deepEqual(got, ['A secret_code=s', 'B secret_code=s', 'D secret_code=s']);
    assert.equal(log.lines.filter((l) => l.level === 'error').length, 2);
  });
});
