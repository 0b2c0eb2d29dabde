// The ws transport under the handshake: what the listener sends right after welcoming the dialer
// (a node's held terminations, its first mail) reaches the dialer even though the dialer's link
// takes the channel only after the handshake has returned. And what the transport loads.
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

test('a listening and a dialing ws transport load no undici (node:http is not imported through its ESM facade)', async () => {
  // a fresh process: this one may have loaded undici through other modules
  const { execFile } = await import('node:child_process');
  const url = new URL('../../runtime/nodes/ws-transport.ts', import.meta.url).href;
  const code = `
    const { wsTransport } = await import(${JSON.stringify(url)});
    const t = wsTransport({ maxFrameBytes: 1 << 20 });
    const l = await t.listen('ws://127.0.0.1:0', (ch) => ch.close('bye'), () => {});
    const ch = await t.dial(l.url);
    ch.close('done');
    await l.close();
    console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici'))));`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', code], { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
  assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1)!), []);
});
