// Asks from a peer node are answered without the kernel's pending-ask table (forwarded-asks.ts):
// over a real ws channel, an answer goes back once under the peer's own ask id, an error keeps
// its code and message, an ask nobody answers is answered `ask-timeout` by the sweep, and a late
// answer after that sends nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem } from '../../runtime/index.ts';
import { wsTransport } from '../../runtime/nodes/ws-transport.ts';
import { Link } from '../../runtime/nodes/link.ts';
import { ForwardedAsks } from '../../runtime/nodes/forwarded-asks.ts';
import { decodeFrame, W_REPLY } from '../../runtime/nodes/codec.ts';
import { reconnectPolicy } from '../../runtime/io/reconnect.ts';
import { ActorError } from '../../runtime/actor/errors.ts';
import { waitFor } from './helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

test('forwarded asks: answered once under the peer ask id; errors keep code and message; the sweep answers ask-timeout', async () => {
  const sys = await ActorSystem.start({ name: 'forwarded', threads: 0, logLevel: 'warn', statsIntervalMs: 0 });
  cleanup.push(() => sys.stop());
  const t = wsTransport({ maxFrameBytes: 1 << 20 });
  const got: unknown[] = [];
  const listener = await t.listen('ws://127.0.0.1:0', (ch) => (ch.onFrame = (d) => got.push(...decodeFrame(d as Uint8Array))), () => {});
  cleanup.push(() => listener.close());
  const ch = await t.dial(listener.url);
  const opts = { heartbeatMs: 60_000, downAfterMs: 300_000, maxFrameBytes: 1 << 20, highWaterBytes: 1 << 20, hardCapBytes: 1 << 23, flushAt: 1024, maxHeld: 100, maxDepth: 64 };
  const none = (): void => {};
  const link = new Link('asker', null, opts, reconnectPolicy('1'), { up: none, down: none, frame: none, lost: none, unblocked: none }, async () => {}, sys.host.log);
  link.adopt(ch, true, 'asker-life-1');
  cleanup.push(() => link.close('test over'));

  const asks = new ForwardedAsks(sys.host, 'here');
  const slow = asks.add(link, 701, '/slow', 0);
  const quick = asks.add(link, 702, '/quick', 1);
  const failing = asks.add(link, 703, '/failing', 1);
  assert.notEqual(slow, quick);
  asks.answer(quick, 1, { v: 'ok' });
  asks.answer(quick, 1, { v: 'twice' }); // already answered: nothing more
  asks.answer(failing, 0, new ActorError('mailbox-full', '/failing', 'mailbox of /failing is full (capacity 1)'));
  asks.expire(1, 120_000); // opened at sweep 0, before sweep 1: timed out; the others are answered
  asks.answer(slow, 1, 'late'); // after the timeout: nothing
  await waitFor(() => got.length >= 12, 'three replies at the asker');
  await new Promise((r) => setTimeout(r, 50)); // nothing else arrives
  assert.deepEqual(got, [
    W_REPLY, 702, 1, { v: 'ok' },
    W_REPLY, 703, 0, { code: 'mailbox-full', message: 'mailbox of /failing is full (capacity 1)' },
    W_REPLY, 701, 0, { code: 'ask-timeout', message: 'ask to here:/slow timed out after 120000 ms' },
  ]);
});
