// The ws transport under the handshake: what the listener sends right after welcoming the dialer
// (a node's held terminations, its first mail) reaches the dialer even though the dialer's link
// takes the channel only after the handshake has returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wsTransport } from '../../runtime/nodes/ws-transport.ts';
import { acceptHandshake, dialHandshake } from '../../runtime/nodes/handshake.ts';
import type { FrameChannel } from '../../runtime/nodes/transport.ts';
import { waitFor } from './helpers.ts';

test('frames sent right after the handshake are held until the dialer reads them, in order', async () => {
  const secret = Buffer.from('a-transport-test-secret-0123456789');
  const t = wsTransport({ maxFrameBytes: 1 << 20 });
  let accepted: FrameChannel | null = null;
  const listener = await t.listen(
    'ws://127.0.0.1:0',
    (ch) =>
      void acceptHandshake(ch, 'b', 'inc-b', secret, 2000).then(() => {
        // sent back to back with the welcome: they travel in the same packets
        for (let i = 0; i < 3; i++) ch.send(Uint8Array.from([i]));
        accepted = ch;
      }),
    () => {},
  );
  const ch = await t.dial(listener.url);
  try {
    await dialHandshake(ch, 'a', 'inc-a', 'b', secret, 'node', 2000);
    await waitFor(() => accepted, 'the listener to send');
    // the reader comes later, as a link adopting the channel does
    await new Promise((r) => setImmediate(r));
    const got: number[] = [];
    ch.onFrame = (d) => got.push((d as Uint8Array)[0]);
    await waitFor(() => got.length === 3, 'three frames at the dialer');
    assert.deepEqual(got, [0, 1, 2]);
  } finally {
    ch.close('done');
    await listener.close();
  }
});
