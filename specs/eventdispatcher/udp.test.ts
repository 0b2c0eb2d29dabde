// The UDP static send and the logrotate messenger (eventdispatcher.md §5).

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, it } from 'node:test';
import { InvalidMessageError, Message } from '../../protocols/eventdispatcher/index.ts';
import { ActorSystem } from '../../runtime/index.ts';
import { LogrotateMessenger, needsBroadcast, sendUdpMessage } from '../../actors/eventdispatcher/udp.ts';
import { waitFor } from './helpers.ts';

describe('eventdispatcher UDP', () => {
  it('the static send: one datagram with the secret code; broadcast and multicast destinations recognised; 1,025 bytes refused', async () => {
    const rx = dgram.createSocket('udp4');
    const got: string[] = [];
    rx.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
    assert.equal(await sendUdpMessage({ host: '127.0.0.1', port: rx.address().port }, Message.parse('LOG_ROTATE'), 's3'), true);
    await waitFor(() => got.length === 1, 'the datagram');
    assert.deepEqual(got, ['LOG_ROTATE secret_code=s3']);
    rx.close();
    assert.equal(needsBroadcast('192.168.1.255'), true);
    assert.equal(needsBroadcast('239.1.2.3'), true);
    assert.equal(needsBroadcast('ff02::1'), true);
    assert.equal(needsBroadcast('127.0.0.1'), false);
    await assert.rejects(sendUdpMessage({ host: '127.0.0.1', port: 9 }, Message.parse(`X p=${'a'.repeat(1021)}`)), InvalidMessageError);
  });

  it('the logrotate messenger takes LOG_ROTATE, refuses a wrong secret, and stops on STOP', async () => {
    const sys = await ActorSystem.start({ threads: 0, logLevel: process.env.LOG_LEVEL ?? 'silent', statsIntervalMs: 0 });
    try {
      // A free port for the messenger.
      const probe = dgram.createSocket('udp4');
      await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
      const port = probe.address().port;
      await new Promise<void>((r) => probe.close(() => r()));
      const ref = sys.spawn(LogrotateMessenger, { name: 'lr', props: { host: '127.0.0.1', port, secret: 'k' } });
      await waitFor(() => sys.lookup('/lr/udp'), 'the UDP connection');
      await new Promise((r) => setTimeout(r, 50));
      const to = { host: '127.0.0.1', port };
      await sendUdpMessage(to, Message.parse('LOG_ROTATE'), 'k');
      await sendUdpMessage(to, Message.parse('STOP'), 'wrong');
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(await sys.lookup('/lr'), 'a STOP with the wrong secret is dropped');
      await sendUdpMessage(to, Message.parse('STOP'), 'k');
      await waitFor(async () => !(await sys.lookup('/lr')), 'the messenger to stop');
      void ref;
    } finally {
      await sys.stop();
    }
  });
});
