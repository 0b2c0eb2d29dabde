// `actor-runtime inspect --node <url>` and `top --node <url>`: attach to a remote node over an
// authenticated link in the inspector role (inspection requests only, never mail), and read its
// snapshot (or, through it, a peer's) and its event stream.

import { readFileSync } from 'node:fs';
import { decodeFrame, encodeFrame, W_CTRL, W_CTRL_REPLY, W_EVENT } from './codec.ts';
import { dialHandshake } from './handshake.ts';
import { readSecret } from './secret.ts';
import { wsTransport } from './ws-transport.ts';
import type { FrameChannel } from './transport.ts';
import type { SystemSnapshot } from '../kernel/system.ts';
import type { StampedEvent } from '../inspection/events.ts';

export interface InspectorOptions {
  secretFile?: string;
  secretEnv?: string;
  ca?: string;
  cert?: string;
  key?: string;
  timeoutMs?: number;
}

export interface Inspector {
  /** The node's snapshot, or with `peer` the snapshot of that peer as the node reads it over its link. */
  snapshot(peer?: string): Promise<SystemSnapshot>;
  /** Follows the event stream until the link closes. */
  events(onEvent: (ev: StampedEvent) => void): Promise<void>;
  /** Resolves with the reason once the link is closed (by either side). */
  readonly closed: Promise<string>;
  close(): void;
}

export async function openInspector(url: string, o: InspectorOptions = {}): Promise<Inspector> {
  const secret = readSecret(o);
  const file = (p?: string): string | undefined => (p ? readFileSync(p, 'utf8') : undefined);
  const tls = { ca: file(o.ca), cert: file(o.cert), key: file(o.key) };
  const timeoutMs = o.timeoutMs ?? 5000;
  const ch: FrameChannel = await wsTransport({ maxFrameBytes: 256 * 1024 * 1024, tls, connectTimeoutMs: timeoutMs }).dial(url);
  try {
    await dialHandshake(ch, `inspect-${process.pid}`, String(Date.now()), null, secret, 'inspector', timeoutMs);
  } catch (err) {
    ch.close('refused');
    throw err;
  }
  let seq = 1;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let onEvent: ((ev: StampedEvent) => void) | null = null;
  let closedWhy: string | null = null;
  const closed = new Promise<string>((resolve) => {
    ch.onClose = (why) => {
      closedWhy = why;
      for (const w of waiting.values()) w.reject(new Error(`the node closed the link: ${why}`));
      waiting.clear();
      resolve(why);
    };
  });
  ch.onFrame = (data) => {
    if (typeof data === 'string') return;
    const r = decodeFrame(data);
    for (let i = 0; i < r.length; ) {
      if (r[i] === W_CTRL_REPLY) {
        const w = waiting.get(r[i + 1] as number);
        waiting.delete(r[i + 1] as number);
        if (r[i + 2] === 1) w?.resolve(r[i + 3]);
        else w?.reject(new Error(String(r[i + 3])));
        i += 4;
      } else if (r[i] === W_EVENT) {
        onEvent?.(r[i + 1] as StampedEvent);
        i += 2;
      } else i += 1; // heartbeats
    }
  };
  const request = (op: string, arg: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (closedWhy !== null) return reject(new Error(`the node closed the link: ${closedWhy}`));
      const id = seq++;
      const timer = setTimeout(() => (waiting.delete(id), reject(new Error(`no answer from ${url} in ${timeoutMs} ms`))), timeoutMs);
      waiting.set(id, { resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)) });
      ch.send(encodeFrame([W_CTRL, id, op, arg]));
    });
  return {
    snapshot: (peer) => (peer ? request('peer-snapshot', peer) : request('snapshot', null)) as Promise<SystemSnapshot>,
    async events(f) {
      onEvent = f;
      await request('events', null);
      await closed;
    },
    closed,
    close: () => ch.close('inspector done'),
  };
}
