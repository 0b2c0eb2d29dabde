// The lines and message layers over a real socket pair (eventdispatcher.md §1.7, §3.4).

import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { MessageStream } from '../../actors/eventdispatcher/message-stream.ts';
import { recordingLogger, waitFor } from './helpers.ts';

async function pair(): Promise<{ client: net.Socket; server: net.Socket; close(): void }> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => srv.once('connection', r));
  const client = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
  const server = await accepted;
  return { client, server, close: () => (client.destroy(), server.destroy(), srv.close()) };
}

describe('eventdispatcher message stream', () => {
  it('malformed lines are an ERROR log only; string and JSON lines mix; sending adds one LF', async () => {
    const p = await pair();
    const log = recordingLogger();
    const got: string[] = [];
    const s = new MessageStream(p.server, { log, label: 'test', message: (m) => got.push(m.toMessage()) });
    p.client.write('FIRST a=1\n\n:svc/CMD\n\r\n{"command":"JSON","parameters":{"n":5}}\n');
    p.client.write(Buffer.from([0xff, 0x0a]));
    p.client.write('LAST b=2\n');
    await waitFor(() => got.length === 3, 'three messages');
    assert.deepEqual(got, ['FIRST a=1', 'JSON n=5', 'LAST b=2']);
    const errors = log.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 3, JSON.stringify(errors));
    assert.match(errors[2].msg, /not valid UTF-8/);
    let echoed = '';
    p.client.setEncoding('utf8');
    p.client.on('data', (d: string) => (echoed += d));
    const fire = new Message();
    fire.setCommand('FIRE');
    fire.addParameter('name', 'Charles');
    fire.addParameter('length', -35);
    assert.equal(s.send(fire), true);
    await waitFor(() => echoed === 'FIRE length=-35;name=Charles\n', 'the line with its LF');
    p.close();
  });

  it('20 lines of 1,023 characters arrive complete and in order across bursts of 5', async () => {
    const p = await pair();
    const got: string[] = [];
    new MessageStream(p.server, { log: recordingLogger(), label: 'test', eventLimit: 5, message: (m) => got.push(m.getParameter('n')) });
    const lines = Array.from({ length: 20 }, (_, i) => `X n=${String(i).padStart(2, '0')};p=${'y'.repeat(1023 - 9)}`);
    assert.equal(lines[0].length, 1023);
    p.client.write(lines.map((l) => `${l}\n`).join(''));
    await waitFor(() => got.length === 20, 'twenty messages');
    assert.deepEqual(got, lines.map((_, i) => String(i).padStart(2, '0')));
    p.close();
  });

  it('the buffered layer gives lines as text without parsing them', async () => {
    const p = await pair();
    const lines: string[] = [];
    new MessageStream(p.server, { log: recordingLogger(), label: 'test', message: () => assert.fail('not parsed'), line: (l) => lines.push(l) });
    p.client.write('not a message;;\n\nsecond\r\n');
    await waitFor(() => lines.length === 2, 'two lines');
    assert.deepEqual(lines, ['not a message;;', 'second\r']);
    p.close();
  });
});
