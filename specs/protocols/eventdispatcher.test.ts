import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../protocols/errors.ts';
import { LinesDecoder } from '../../protocols/framing/index.ts';
import {
  asJsonNumber,
  escapeValue,
  formatFixed6,
  formatInteger,
  formatTimespec,
  InvalidMessageError,
  InvalidParameterError,
  jsonNumberToParameter,
  Message,
  parseInteger,
  parseMessage,
  parseStringMessage,
  parseTimespec,
  parsePauseList,
  toJsonMessage,
  toStringMessage,
  unescapeValue,
  type MessageFields,
} from '../../protocols/eventdispatcher/index.ts';
import { cutPositions, cutsArb, mutate, mutationArb, RUNS, split } from './helpers.ts';

// ---------- helpers ----------

function fields(text: string, mode: 'compat' | 'strict' = 'compat'): MessageFields {
  const r = parseMessage(text, { mode });
  if (!r.ok) assert.fail(`expected ${JSON.stringify(text)} to parse, got: ${r.error.message}`);
  return r.fields;
}

function params(text: string): Record<string, string> {
  return Object.fromEntries(fields(text).parameters);
}

function rejected(text: string, mode: 'compat' | 'strict' = 'compat'): InvalidMessageError {
  const r = parseMessage(text, { mode });
  if (r.ok) assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
  assert.ok(r.error instanceof InvalidMessageError);
  assert.ok(r.error instanceof ProtocolError);
  assert.equal(r.error.code, 'invalid-message');
  return r.error;
}

function header(f: MessageFields): string[] {
  return [f.sentFromServer, f.sentFromService, f.server, f.service, f.command];
}

function msg(init: Parameters<typeof Message.fromFields>[0]): Message {
  return Message.fromFields(init);
}

function throwsText(fn: () => unknown, cls: new (...a: never[]) => Error, text: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    if (typeof text === 'string') assert.equal(e.message, text);
    else assert.match(e.message, text);
    return true;
  });
}

// ---------- §1.12 examples ----------

describe('eventdispatcher §1.12 examples', () => {
  it('snap:cluckd/STOP', () => {
    assert.deepEqual(header(fields('snap:cluckd/STOP')), ['', '', 'snap', 'cluckd', 'STOP']);
  });
  it('<sfs:sfv srv:svc/CMD p=1', () => {
    const f = fields('<sfs:sfv srv:svc/CMD p=1');
    assert.deepEqual(header(f), ['sfs', 'sfv', 'srv', 'svc', 'CMD']);
    assert.deepEqual(Object.fromEntries(f.parameters), { p: '1' });
  });
  it('trailing ; accepted', () => {
    assert.deepEqual(params('REGISTER service=cluckd;version=1;'), { service: 'cluckd', version: '1' });
  });
  it('quoted ; and last-wins duplicates, SP in bare values', () => {
    assert.deepEqual(params('CMD p="a;b";q=c'), { p: 'a;b', q: 'c' });
    assert.deepEqual(params('CMD p=1;p=x y'), { p: 'x y' });
  });
  it('\\n unescapes to LF', () => {
    assert.deepEqual(params('CMD p=a\\nb'), { p: 'a\nb' });
  });
  it('rejections', () => {
    for (const t of [':svc/CMD', 'a/b:CMD', 'srv:svc/', '<a:b', '<srv svc CMD', 'CMD  p=1', 'CMD p=1; q=2', 'CMD p="abc"x', 'CMD p="abc', 'CMD 1p=2', 'X a=1;;']) {
      rejected(t);
    }
  });
  it('errors say where (byte offset)', () => {
    assert.equal(rejected('CMD p=1; q=2').offset, 8);
    assert.equal(rejected('  CMD p=1; q=2').offset, 10);
    assert.equal(rejected('CMD é=1').offset, 4);
    assert.equal(rejected('CMD p=é;;').offset, 9);
    assert.match(rejected('CMD p="abc').message, /not terminated.*byte offset 6/);
  });
});

// ---------- §1.4 parse algorithm ----------

describe('eventdispatcher §1.4 parser', () => {
  it('trims exactly SP TAB LF VT FF CR', () => {
    assert.equal(fields(' \t\n\v\f\rCMD\r\n\v').command, 'CMD');
    // NBSP is not in the set: it stays part of the command (compat accepts any command characters)
    assert.equal(fields('\u00a0CMD').command, '\u00a0CMD');
    rejected('\u00a0CMD', 'strict');
  });
  it('empty and blank inputs are rejected', () => {
    rejected('');
    rejected(' \r\n');
    rejected('\r');
  });
  it('P2: a NUL ends the input in compat mode, is rejected in strict mode', () => {
    assert.deepEqual(params('CMD p=1\0;q=2'), { p: '1' });
    assert.equal(fields('CMD\0 p=1').parameters.size, 0);
    rejected('\0CMD');
    rejected('CMD p=1\0', 'strict');
  });
  it('sent-from rules', () => {
    assert.deepEqual(header(fields('<a:b:c X')), ['a', 'b:c', '', '', 'X']);
    assert.deepEqual(header(fields('<monster: CMD')), ['monster', '', '', '', 'CMD']);
    assert.deepEqual(header(fields('<:svc CMD')), ['', 'svc', '', '', 'CMD']);
    for (const t of ['<', '<a:b', '<srvCMD', '<a b:c CMD', '<a:b ']) rejected(t);
  });
  it('destination rules', () => {
    assert.deepEqual(header(fields('srv:CMD')), ['', '', 'srv', '', 'CMD']);
    assert.deepEqual(header(fields('svc/CMD')), ['', '', '', 'svc', 'CMD']);
    for (const t of ['a:b:CMD', 'a/b/CMD', '/CMD', 'srv:/CMD', 'svc/', 'srv:']) rejected(t);
  });
  it('P1: compat accepts any characters in header names; strict enforces §1.2', () => {
    for (const t of ['fire', 'CMD-X', '[1]', '<my-host:svc X', 'my-srv:svc/X']) {
      assert.ok(parseMessage(t).ok, t);
      rejected(t, 'strict');
    }
    assert.ok(parseMessage('<a:b *:./STOP', { mode: 'strict' }).ok);
  });
  it('parameter names must be base names', () => {
    assert.deepEqual(params('X _a=1;b2=2;Zed=3'), { _a: '1', b2: '2', Zed: '3' });
    for (const t of ['X p-x=1', 'X é=1', 'X =1', 'X p', 'X p=1;q', 'X ;', 'X p=1;;']) rejected(t);
  });
  it('quoted values: \\" becomes ", other characters (a lone \\ too) are copied', () => {
    assert.deepEqual(params('X p="a\\"b"'), { p: 'a"b' });
    assert.deepEqual(params('X p="a\\b"'), { p: 'a\\b' });
    assert.deepEqual(params('X p="";q=1'), { p: '', q: '1' });
    assert.deepEqual(params('X p="a=b c<d"'), { p: 'a=b c<d' });
    rejected('X p="a\\"');
    rejected('X p="abc"x');
  });
  it('bare values: anything up to ; (SP, =, ", < allowed); empty allowed', () => {
    assert.deepEqual(params('X p=a"b;q=c=d e<f'), { p: 'a"b', q: 'c=d e<f' });
    assert.deepEqual(params('X p=;q='), { p: '', q: '' });
  });
  it('R1: trailing whitespace of the last bare value is lost', () => {
    const m = msg({ command: 'X', parameters: { p: 'a ' } });
    assert.equal(m.toMessage(), 'X p=a ');
    assert.deepEqual(params(m.toMessage()), { p: 'a' });
  });
  it('R2: a quoted value ending in \\ cannot be read back', () => {
    const m = msg({ command: 'X', parameters: { p: 'a;\\' } });
    assert.equal(m.toMessage(), 'X p="a;\\\\"');
    rejected(m.toMessage());
  });
  it('fromMessage leaves the message unchanged on failure and replaces every field on success', () => {
    const m = Message.parse('<a:b srv:svc/CMD p=1');
    assert.equal(m.fromMessage('X p="'), false);
    assert.ok(m.lastError instanceof InvalidMessageError);
    assert.equal(m.toMessage(), '<a:b srv:svc/CMD p=1');
    assert.equal(m.fromMessage('Y q=2'), true);
    assert.equal(m.lastError, null);
    assert.equal(m.toMessage(), 'Y q=2');
    assert.equal(m.sentFromServer, '');
  });
  it('Message.parse throws InvalidMessageError', () => {
    assert.throws(() => Message.parse(':x/Y'), InvalidMessageError);
  });
});

// ---------- §1.5 escaping ----------

describe('eventdispatcher §1.5 escaping', () => {
  it('serialize: \\ LF CR escaped; TAB and other controls raw; quote iff ; or leading "', () => {
    const m = msg({ command: 'X', parameters: { a: 'x\\y', b: 'l1\nl2\r', c: 't\tu\u0001', d: 'p;q', e: '"lead', f: 'mid"dle' } });
    assert.equal(m.toMessage(), 'X a=x\\\\y;b=l1\\nl2\\r;c=t\tu\u0001;d="p;q";e="\\"lead";f=mid"dle');
    assert.deepEqual(params(m.toMessage()), { a: 'x\\y', b: 'l1\nl2\r', c: 't\tu\u0001', d: 'p;q', e: '"lead', f: 'mid"dle' });
  });
  it('parse: one pass, \\\\n is \\ + n, unknown escapes and a trailing lone \\ stay', () => {
    assert.equal(unescapeValue('a\\\\nb'), 'a\\nb');
    assert.equal(unescapeValue('\\t\\x'), '\\t\\x');
    assert.equal(unescapeValue('end\\'), 'end\\');
    assert.equal(unescapeValue('\\r\\n\\\\'), '\r\n\\');
    assert.deepEqual(params('X p=a\\\\nb;q=\\t;r=z\\'), { p: 'a\\nb', q: '\\t', r: 'z\\' });
  });
  it('unescape(escape(v)) = v for every string', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('\\', 'n', 'r', '\n', '\r', 'a', '"', ';') }), (v) => unescapeValue(escapeValue(v)) === v), { numRuns: RUNS });
  });
});

// ---------- §1.6 serialization ----------

describe('eventdispatcher §1.6 serialization', () => {
  it('an empty command throws the upstream text', () => {
    throwsText(() => new Message().toMessage(), InvalidMessageError, 'message::to_message(): cannot build a valid message without at least a command.');
    throwsText(() => new Message().toJson(), InvalidMessageError, /without at least a command/);
  });
  it('sent-from is emitted when either part is set, both parts always', () => {
    assert.equal(msg({ sentFromServer: 'monster', command: 'CMD' }).toMessage(), '<monster: CMD');
    assert.equal(msg({ sentFromService: 'svc', command: 'CMD' }).toMessage(), '<:svc CMD');
  });
  it('R3: the server is dropped without a service', () => {
    assert.equal(msg({ server: 'srv', command: 'CMD' }).toMessage(), 'CMD');
    assert.equal(msg({ server: 'srv', service: 'svc', command: 'CMD' }).toMessage(), 'srv:svc/CMD');
    assert.equal(msg({ service: 'svc', command: 'CMD' }).toMessage(), 'svc/CMD');
  });
  it('parameters sorted by name, SP then ;, no trailing ; nor newline', () => {
    const m = msg({ command: 'FIRE' });
    m.addParameter('name', 'Charles');
    m.addParameter('length', -35);
    assert.equal(m.toMessage(), 'FIRE length=-35;name=Charles');
    assert.equal(msg({ command: 'X', parameters: { b: '1', B: '2', _: '3', a: '4' } }).toMessage(), 'X B=2;_=3;a=4;b=1');
  });
  it('the upstream sample', () => {
    const m = msg({ command: 'FIRE' });
    m.addParameter('name', 'Charles');
    m.addParameter('length', -35);
    m.addParameter('valid', 'true');
    m.addParameter('correct', 'false');
    m.addParameter('range', '+101');
    m.addParameter('void', '');
    assert.equal(m.toMessage(), 'FIRE correct=false;length=-35;name=Charles;range=+101;valid=true;void=');
    const json = m.toJson();
    assert.equal(json, '{"command":"FIRE","parameters":{"correct":false,"length":-35,"name":"Charles","range":101,"valid":true,"void":""}}');
    assert.equal(Message.parse(json).getParameter('range'), '101');
    // passing that JSON to the string-only parser fails
    assert.equal(parseStringMessage(json).ok, false);
  });
  it('J5: the memoized output follows every mutation', () => {
    const m = msg({ command: 'A' });
    assert.equal(m.toMessage(), 'A');
    assert.equal(m.toJson(), '{"command":"A"}');
    m.addParameter('p', '1');
    assert.equal(m.toMessage(), 'A p=1');
    assert.equal(m.toJson(), '{"command":"A","parameters":{"p":1}}');
    m.setCommand('B');
    m.setService('svc');
    assert.equal(m.toMessage(), 'svc/B p=1');
    assert.equal(m.toJson(), '{"service":"svc","command":"B","parameters":{"p":1}}');
    m.removeParameter('p');
    assert.equal(m.toMessage(), 'svc/B');
    m.fromMessage('C');
    assert.equal(m.toJson(), '{"command":"C"}');
  });
  it('stream framing: message + LF, read back through the lines framer', () => {
    const a = msg({ command: 'FIRE', parameters: { name: 'Charles', length: '-35' } });
    const wire = Buffer.from(a.toMessage() + '\n' + '\n' + 'garbage"\n' + a.toMessage() + '\n');
    const lines = new LinesDecoder({ maxFrameSize: 1 << 16, stripCR: false }).push(wire).map(String);
    assert.deepEqual(lines, ['FIRE length=-35;name=Charles', 'garbage"', 'FIRE length=-35;name=Charles']);
    assert.deepEqual(lines.map((l) => parseMessage(l).ok), [true, true, true]);
  });
});

// ---------- §1.2 setters ----------

describe('eventdispatcher §1.2 names', () => {
  it('setCommand: uppercase only, non-empty, no leading digit (upstream texts)', () => {
    const m = new Message();
    throwsText(() => m.setCommand(''), InvalidMessageError, 'a message name cannot be empty.');
    throwsText(() => m.setCommand('fire'), InvalidMessageError, /^a command name must be composed of ASCII 'A'..'Z', '0'..'9', or '_' only \(also a command must be uppercase only\), "fire" is not valid\.$/);
    throwsText(() => m.setCommand('1FIRE'), InvalidMessageError, 'parameter name cannot start with a digit, "1FIRE" is not valid.');
    m.setCommand('_FIRE_2');
    assert.equal(m.command, '_FIRE_2');
  });
  it('server / service: "", ".", "*", "?" or a base name', () => {
    const m = new Message();
    for (const n of ['', '.', '*', '?', 'snap', 'My_Host2']) {
      m.setServer(n);
      m.setService(n);
    }
    for (const n of ['my-host', '..', '**', '1a', 'a b', 'é']) {
      assert.throws(() => m.setServer(n), InvalidMessageError, n);
      assert.throws(() => m.setService(n), InvalidMessageError, n);
    }
    throwsText(() => m.setServer('a\u0001'), InvalidMessageError, /"a\^A" is not valid/);
  });
  it('sent-from: "" or a base name, no special names', () => {
    const m = new Message();
    m.setSentFromServer('');
    m.setSentFromService('svc');
    for (const n of ['.', '*', '?', 'a-b']) assert.throws(() => m.setSentFromServer(n), InvalidMessageError);
  });
  it('parameter names: non-empty base names, checked by add / has / get', () => {
    const m = msg({ command: 'X' });
    m.addParameter('lower_case', 'v');
    for (const n of ['', 'p-x', '1p', ' p']) {
      assert.throws(() => m.addParameter(n, 'v'), InvalidMessageError);
      assert.throws(() => m.hasParameter(n), InvalidMessageError);
      assert.throws(() => m.getParameter(n), InvalidMessageError);
    }
  });
  it('fromFields without validation keeps compat names', () => {
    assert.equal(Message.fromFields({ server: 'my-host', service: 'x', command: 'fire' }, false).toMessage(), 'my-host:x/fire');
  });
});

// ---------- §1.8 JSON ----------

describe('eventdispatcher §1.8 JSON form', () => {
  it('output order and examples', () => {
    assert.equal(msg({ command: 'PING' }).toJson(), '{"command":"PING"}');
    assert.equal(
      msg({ sentFromServer: 'a', sentFromService: 'b', server: 'c', service: 'd', command: 'E', parameters: { z: 'x', y: '1' } }).toJson(),
      '{"sent-from-server":"a","sent-from-service":"b","server":"c","service":"d","command":"E","parameters":{"y":1,"z":"x"}}',
    );
    assert.equal(msg({ server: 'c', command: 'E' }).toJson(), '{"command":"E"}');
  });
  it('J1: the service is properly closed', () => {
    assert.equal(msg({ service: 'cluckd', command: 'STOP' }).toJson(), '{"service":"cluckd","command":"STOP"}');
  });
  it('J2: only real, finite JSON numbers are emitted raw; strings are escaped', () => {
    const cases: [string, string][] = [
      ['0x1A', '"0x1A"'], ['007', '"007"'], ['1.', '"1."'], ['-inf', '"-inf"'], ['1e999', '"1e999"'], ['+101', '101'],
      ['-35', '-35'], ['3.5e-2', '3.5e-2'], ['+-1', '"+-1"'], ['+.5', '"+.5"'], ['', '""'], ['TRUE', '"TRUE"'], ['true', 'true'],
      ['-0', '-0'], [' 1', '" 1"'], ['1 ', '"1 "'],
    ];
    for (const [v, out] of cases) assert.equal(msg({ command: 'X', parameters: { v } }).toJson(), `{"command":"X","parameters":{"v":${out}}}`, v);
    const odd = Message.fromFields({ server: 'a"b', service: 's\\v', command: 'C\n' }, false).toJson();
    assert.deepEqual(JSON.parse(odd), { server: 'a"b', service: 's\\v', command: 'C\n' });
  });
  it('J3: a JSON string is decoded once only', () => {
    assert.equal(Message.parse('{"command":"X","parameters":{"p":"a\\\\nb"}}').getParameter('p'), 'a\\nb');
    assert.equal(Message.parse('{"command":"X","parameters":{"p":"a\\nb\\u00e9\\/"}}').getParameter('p'), 'a\nbé/');
  });
  it('input conversion: numbers (J6), booleans, null', () => {
    const p = Message.parse(
      '{"command":"X","parameters":{"a":-35,"b":2.0,"c":1e3,"d":3.5,"e":true,"f":false,"g":null,"h":-9223372036854775808,"i":9223372036854775808,"j":1E-2,"k":-0,"l":-9223372036854775807}}',
    ).getAllParameters();
    assert.deepEqual(Object.fromEntries(p), {
      a: '-35', b: '2', c: '1000', d: '3.500000', e: 'true', f: 'false', g: '', h: '-9223372036854775808.000000', l: '-9223372036854775807', i: '9223372036854775808.000000', j: '0.010000', k: '0',
    });
  });
  it('input shape: what is accepted', () => {
    const m = Message.parse(' {\t"sent-from-server" : "s", "sent-from-service":"v","server":"a","service":"b","command":"C",\r\n"parameters":{"p":"1"},"parameters":{"q":"2","p":"3"},"extra":"ignored","parameters":"ignored too"}');
    assert.deepEqual(header(m.toFields()), ['s', 'v', 'a', 'b', 'C']);
    assert.deepEqual(Object.fromEntries(m.getAllParameters()), { p: '3', q: '2' });
    assert.equal(m.lastNotices.length, 2);
    assert.equal(Message.parse('{"command":"A","command":"B"}').command, 'B');
    assert.equal(Message.parse('{"command":"A","parameters":{}}').parameterCount, 0);
    // no name validation [KEEP]
    assert.equal(Message.parse('{"command":"lower","parameters":{"p-x":"1"}}').getAllParameters()[0][0], 'p-x');
  });
  it('input shape: what is rejected', () => {
    for (const t of [
      '{}', '{ }', '{"command":"X",}', '{"command":"X"', '{"command":"X"}x', '{"command":"X"}{}', '{"command":1}', '{"server":true}',
      '{"service":null}', '{"command":["X"]}', '{"server":{}}', '{"other":1}', '{"other":[]}', '{"other":{}}', '{"parameters":[]}',
      '{"parameters":1}', '{"command":"X","parameters":{"a":[1]}}', '{"command":"X","parameters":{"a":{}}}',
      '{"command":"X","parameters":{"a":1,}}', '{"command":"X"\v}', "{'command':'X'}", '{"command":"a\tb"}', '{"command":"\\q"}',
      '{"command":"X","parameters":{"a":01}}', '{"command":"X","parameters":{"a":+1}}', '{"command":"X","parameters":{"a":.5}}',
      '{"command":"X","parameters":{"a":tru}}', '{command:"X"}',
    ]) {
      rejected(t);
    }
  });
  it('J4: no command is accepted in compat, rejected in strict', () => {
    assert.equal(fields('{"service":"x"}').command, '');
    rejected('{"service":"x"}', 'strict');
  });
  it('a message with a service produces valid JSON', () => {
    assert.deepEqual(JSON.parse(msg({ server: 'snap', service: 'cluckd', command: 'STOP' }).toJson()), { server: 'snap', service: 'cluckd', command: 'STOP' });
  });
  it('formatFixed6 prints like printf %f (round half to even on the exact binary value)', () => {
    assert.equal(formatFixed6(3.5), '3.500000');
    assert.equal(formatFixed6(0.0078125), '0.007812');
    assert.equal(formatFixed6(0.0234375), '0.023438');
    assert.equal(formatFixed6(-1.25e-7), '-0.000000');
    assert.equal(formatFixed6(1e22), '10000000000000000000000.000000');
    assert.equal(formatFixed6(2 ** 63), '9223372036854775808.000000');
    assert.equal(formatFixed6(Infinity), 'inf');
    assert.equal(jsonNumberToParameter('1e999'), 'inf');
    fc.assert(
      fc.property(fc.double({ min: -1e15, max: 1e15, noNaN: true }), (x) => {
        const ours = formatFixed6(x);
        const js = x.toFixed(6);
        // toFixed rounds ties away from zero; it agrees except on exact ties and on -0 signs
        if (ours !== js && !(Object.is(Number(js), 0) || Object.is(Number(js), -0))) {
          const tie = Math.abs(Number(ours) - Number(js)) <= 1.0000001e-6;
          assert.ok(tie, `${x}: ${ours} vs ${js}`);
        }
      }),
      { numRuns: RUNS },
    );
  });
  it('asJsonNumber output always parses as a finite JSON number', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: fc.constantFrom('0', '1', '9', '-', '+', '.', 'e', 'E', 'x') }), fc.double().map(String)), (v) => {
        const n = asJsonNumber(v);
        if (n !== null) assert.ok(Number.isFinite(JSON.parse(n)), v);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------- §1.9 typed parameters and version ----------

describe('eventdispatcher §1.9 typed parameters', () => {
  it('integers', () => {
    const m = msg({ command: 'X' });
    m.addParameter('a', -35);
    m.addParameter('b', 7428447997487423361n);
    assert.equal(m.toMessage(), 'X a=-35;b=7428447997487423361');
    assert.throws(() => m.addParameter('c', 2 ** 60), InvalidParameterError);
    assert.throws(() => m.addParameter('c', 1.5), InvalidParameterError);
    assert.throws(() => m.addParameter('c', 1n << 63n), InvalidParameterError);
    assert.equal(m.getIntegerParameter('b'), 7428447997487423361n);
    assert.throws(() => m.getIntegerNumberParameter('b'), InvalidMessageError);
    assert.equal(m.getIntegerNumberParameter('a'), -35);
  });
  it('getInteger accepts [+-]?[0-9]+ within int64 only', () => {
    const m = Message.parse('X a=-9223372036854775808;b=+101;c= 1;d=;e=1.5;f=9223372036854775808;g=0042');
    assert.equal(m.getIntegerParameter('a'), -9223372036854775808n);
    assert.equal(m.getIntegerParameter('b'), 101n);
    assert.equal(m.getIntegerParameter('g'), 42n);
    for (const n of ['c', 'd', 'e', 'f']) throwsText(() => m.getIntegerParameter(n), InvalidMessageError, /expected an integer/);
    assert.throws(() => m.getIntegerParameter('zz'), InvalidMessageError);
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (n) => parseInteger(formatInteger(n)) === n), { numRuns: RUNS });
  });
  it('getParameter on a missing name throws the upstream text', () => {
    throwsText(
      () => msg({ command: 'PING' }).getParameter('serial'),
      InvalidMessageError,
      'parameter "serial" of command "PING" not defined, try has_parameter() before calling the get_parameter() function.',
    );
  });
  it('addresses', () => {
    const m = msg({ command: 'X' });
    m.addAddressParameter('a', { ip: '127.0.0.1', port: 4040 });
    m.addAddressParameter('b', { ip: '::1', port: 4040 });
    m.addAddressParameter('c', { ip: '10.0.0.1', port: 1, mask: '255.0.0.0' }, true);
    m.addUnixAddressParameter('d', '/run/communicator/communicatord.sock');
    assert.equal(m.toMessage(), 'X a=127.0.0.1:4040;b=[::1]:4040;c=10.0.0.1:1/255.0.0.0;d=/run/communicator/communicatord.sock');
    assert.deepEqual(m.getAddressParameter('a'), { ip: '127.0.0.1', port: 4040 });
    assert.deepEqual(m.getAddressParameter('b'), { ip: '::1', port: 4040 });
    assert.deepEqual(Message.parse('X a=10.1.2.3').getAddressParameter('a', 4041), { ip: '10.1.2.3', port: 4041 });
    assert.throws(() => m.addAddressParameter('e', { ip: '999.0.0.1', port: 1 }), InvalidParameterError);
    assert.throws(() => m.addAddressParameter('e', { ip: '1.2.3.4', port: 70000 }), InvalidParameterError);
    for (const bad of ['host:80', '1.2.3:4', '1.2.3.4:', '[::1', '1.2.3.4:99999', '::g']) {
      assert.throws(() => Message.parse(`X a=${bad}`).getAddressParameter('a'), InvalidMessageError, bad);
    }
  });
  it('timespecs', () => {
    const m = msg({ command: 'X' });
    m.addTimespecParameter('a', { sec: 1700000000, nsec: 500000000 });
    m.addTimespecParameter('b', { sec: 1700000000, nsec: 0 });
    m.addTimespecParameter('c', { sec: 1, nsec: 1 });
    assert.equal(m.toMessage(), 'X a=1700000000.5;b=1700000000;c=1.000000001');
    assert.deepEqual(m.getTimespecParameter('a'), { sec: 1700000000, nsec: 500000000 });
    assert.throws(() => m.addTimespecParameter('d', { sec: 1, nsec: 1e9 }), InvalidParameterError);
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 999_999_999 }), (sec, nsec) => {
        assert.deepEqual(parseTimespec(formatTimespec({ sec, nsec })), { sec, nsec });
      }),
      { numRuns: RUNS },
    );
  });
  it('version', () => {
    const m = msg({ command: 'REGISTER', parameters: { service: 'cluckd' } });
    m.addVersionParameter();
    assert.equal(m.toMessage(), 'REGISTER service=cluckd;version=1');
    assert.equal(m.checkVersionParameter(), true);
    assert.equal(Message.parse('X version=2').checkVersionParameter(), false);
    assert.equal(Message.parse('X version=+1').checkVersionParameter(), true);
    assert.throws(() => Message.parse('X').checkVersionParameter(), InvalidMessageError);
    assert.throws(() => Message.parse('X version=one').checkVersionParameter(), InvalidMessageError);
  });
});

// ---------- §1.10 addressing ----------

describe('eventdispatcher §1.10 replyTo', () => {
  it('copies sent-from into the destination without validation; the rest untouched', () => {
    const orig = Message.parse('<my-host:svc X p=1');
    const reply = msg({ sentFromServer: 'me', command: 'Y', parameters: { q: '2' } });
    reply.replyTo(orig);
    assert.equal(reply.toMessage(), '<me: my-host:svc/Y q=2');
  });
});

// ---------- §4.1 pause list ----------

describe('eventdispatcher §4.1 pause durations', () => {
  it('parsing', () => {
    assert.deepEqual(parsePauseList(''), [60]);
    assert.deepEqual(parsePauseList(' , '), [60]);
    assert.deepEqual(parsePauseList('1,1,1,3,5'), [1, 1, 1, 3, 5]);
    assert.deepEqual(parsePauseList('-5, 1.5 ,2s,1m,1 hour,1d,1w,2 Minutes,1month,1y'), [-5, 1.5, 2, 60, 3600, 86400, 604800, 120, 2592000, 31536000]);
    throwsText(() => parsePauseList('1,abc'), InvalidParameterError, 'pause duration "abc" is not valid.');
    throwsText(() => parsePauseList('5x'), InvalidParameterError, 'pause duration "5x" is not valid.');
    assert.throws(() => parsePauseList('1.2.3'), InvalidParameterError);
    assert.equal(parsePauseList(Array(254).fill('1').join(',')).length, 254);
    assert.throws(() => parsePauseList(Array(255).fill('1').join(',')), InvalidParameterError);
  });
});

// ---------- properties ----------

const baseName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/);
const commandName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/);
const destination = fc.oneof(fc.constantFrom('', '.', '*', '?'), baseName);
const sentFrom = fc.oneof(fc.constant(''), baseName);
const valueChar = fc.oneof(
  fc.constantFrom('\\', '"', ';', '\n', '\r', '\t', ' ', '=', '<', ':', '/', 'n', 'r', '{', '\v', 'é', '\u{1F600}', '\u00a0'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const value = fc.string({ unit: valueChar, maxLength: 10 }).filter((v) => !v.includes('\0'));

const messageArb = fc.record({
  sentFromServer: sentFrom,
  sentFromService: sentFrom,
  server: destination,
  service: destination,
  command: commandName,
  parameters: fc.dictionary(baseName, value, { maxKeys: 5 }),
});

type Arb = typeof messageArb extends fc.Arbitrary<infer T> ? T : never;

function toMessage(a: Arb): Message {
  return Message.fromFields(a);
}

function plain(f: MessageFields): object {
  return { ...f, parameters: Object.fromEntries([...f.parameters].sort(([x], [y]) => (x < y ? -1 : 1))) };
}

const TRIM = /[ \t\n\v\f\r]$/;

describe('eventdispatcher properties', () => {
  it('string round trip: fromMessage(toMessage(m)) = m outside R1, R2, R3', () => {
    fc.assert(
      fc.property(messageArb, (a) => {
        const m = toMessage(a);
        const sorted = m.getAllParameters();
        const last = sorted.at(-1);
        fc.pre(last === undefined || !TRIM.test(last[1])); // R1
        fc.pre(sorted.every(([, v]) => !(v.endsWith('\\') && (v.includes(';') || v.startsWith('"'))))); // R2
        const expected = m.toFields();
        if (expected.service === '') expected.server = ''; // R3
        assert.deepEqual(plain(fields(m.toMessage(), 'strict')), plain(expected));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('JSON round trip for string values that are neither numeric nor booleans; output always passes JSON.parse', () => {
    fc.assert(
      fc.property(messageArb, (a) => {
        const m = toMessage(a);
        const json = m.toJson();
        const parsed = JSON.parse(json) as Record<string, unknown>;
        assert.equal(parsed.command, a.command);
        fc.pre([...m.toFields().parameters.values()].every((v) => asJsonNumber(v) === null && v !== 'true' && v !== 'false'));
        const expected = m.toFields();
        if (expected.service === '') expected.server = '';
        assert.deepEqual(plain(fields(json, 'strict')), plain(expected));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('any input gives a message or an InvalidMessageError, never another exception', () => {
    const text = fc.oneof(
      fc.string({ unit: valueChar, maxLength: 40 }),
      fc.string({ unit: fc.constantFrom('<', ':', '/', ' ', '=', ';', '"', '\\', 'A', 'a', '1', '{', '}', '[', ',', '\0', '\r'), maxLength: 30 }),
      fc.tuple(messageArb, mutationArb).map(([a, mu]) => mutate(Buffer.from(toMessage(a).toMessage()), mu).toString('latin1')),
      fc.tuple(messageArb, mutationArb).map(([a, mu]) => mutate(Buffer.from(toMessage(a).toJson()), mu).toString('latin1')),
    );
    fc.assert(
      fc.property(text, fc.constantFrom('compat' as const, 'strict' as const), (t, mode) => {
        const r = parseMessage(t, { mode });
        if (!r.ok) {
          assert.ok(r.error instanceof InvalidMessageError);
          assert.ok(r.error.offset !== undefined && r.error.offset >= 0 && r.error.offset <= Buffer.byteLength(t));
        } else if (mode === 'strict') {
          // strict output always serializes and reads back to the same text (modulo R1/R2)
          const s = toStringMessage(r.fields);
          const vals = [...r.fields.parameters.values()];
          if (vals.every((v) => !TRIM.test(v) && !v.endsWith('\\')) && (r.fields.service !== '' || r.fields.server === '')) {
            assert.equal(toStringMessage(fields(s)), s);
          }
          assert.doesNotThrow(() => JSON.parse(toJsonMessage(r.fields)));
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('a stream of messages split anywhere reads back the same messages', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 6 }), cutsArb, (as, cuts) => {
        const ms = as.map(toMessage);
        const wire = Buffer.from(ms.map((m) => m.toMessage() + '\n').join(''));
        const d = new LinesDecoder({ maxFrameSize: 1 << 16, stripCR: false });
        const got: string[] = [];
        for (const c of split(wire, cutPositions(cuts, wire.length))) for (const l of d.push(c)) got.push(l.toString('utf8'));
        assert.deepEqual(got, ms.map((m) => m.toMessage()));
      }),
      { numRuns: RUNS },
    );
  });
});
