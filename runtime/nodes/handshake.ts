// Mutual authentication of a link before any mail crosses: a challenge/response over HMAC-SHA256
// with a shared secret that never travels. The listener sends a fresh nonce; the dialer answers
// with its own nonce and a MAC over both and both names; the listener checks it and answers with
// a MAC in the other direction, which the dialer checks. A replayed answer fails (fresh nonces),
// and so does a listener that does not know the secret.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FrameChannel } from './transport.ts';
import { NODE_NAME } from './address.ts';

const VERSION = 'actor-runtime-link/1';
const MAX_TEXT = 4096;

export type Role = 'node' | 'inspector';

export interface Authenticated {
  peer: string;
  role: Role;
  /** Random per process start: another one under the same name is a restarted node. */
  incarnation: string;
}

export function mac(secret: Uint8Array, ...parts: string[]): string {
  return createHmac('sha256', secret).update(parts.join('|')).digest('base64');
}

function sameMac(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Reads the next text frame as a JSON object; a binary frame, bad JSON or a timeout fails. */
function nextMessage(ch: FrameChannel, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no handshake answer within ${timeoutMs} ms`)), timeoutMs);
    const prevClose = ch.onClose;
    ch.onClose = (why, deliberate) => {
      clearTimeout(timer);
      reject(new Error(`closed during the handshake: ${why}`));
      prevClose(why, deliberate);
    };
    ch.onFrame = (data) => {
      clearTimeout(timer);
      ch.onFrame = null; // whatever follows waits for the link (or the next step) to read it
      ch.onClose = prevClose;
      if (typeof data !== 'string') return reject(new Error('a binary frame before authentication'));
      if (data.length > MAX_TEXT) return reject(new Error('handshake message too large'));
      try {
        const v = JSON.parse(data);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        resolve(v as Record<string, unknown>);
      } catch {
        reject(new Error('handshake message is not a JSON object'));
      }
    };
  });
}

/** Listener side. Resolves with the authenticated peer; rejects with the reason to log. */
export async function acceptHandshake(
  ch: FrameChannel,
  self: string,
  incarnation: string,
  secret: Uint8Array,
  timeoutMs: number,
  /** Runs once the dialer is authenticated, before it is welcomed: a reason refuses it. */
  decide: (a: Authenticated) => string | null = () => null,
): Promise<Authenticated> {
  const sn = randomBytes(32).toString('base64');
  ch.send(JSON.stringify({ t: 'challenge', v: VERSION, node: self, inc: incarnation, nonce: sn }));
  const m = await nextMessage(ch, timeoutMs);
  if (m.t !== 'hello') throw new Error(`expected a hello, found ${JSON.stringify(String(m.t)).slice(0, 40)}`);
  const peer = m.node;
  const role = m.role === 'inspector' ? 'inspector' : 'node';
  if (typeof peer !== 'string' || !NODE_NAME.test(peer)) throw new Error('hello without a valid node name');
  if (typeof m.nonce !== 'string' || m.nonce.length < 32) throw new Error(`hello from ${peer} without a nonce`);
  const inc = typeof m.inc === 'string' ? m.inc.slice(0, 64) : '';
  if (!sameMac(m.mac, mac(secret, VERSION, 'hello', role, peer, inc, self, sn, m.nonce))) throw new Error(`authentication failed for ${peer} (wrong secret)`);
  const refusal = decide({ peer, role, incarnation: inc });
  if (refusal !== null) throw new Error(refusal);
  ch.send(JSON.stringify({ t: 'welcome', mac: mac(secret, VERSION, 'welcome', self, incarnation, peer, m.nonce, sn) }));
  return { peer, role, incarnation: inc };
}

/** Dialer side. `expected` is the peer's name when known (a configured peer). */
export async function dialHandshake(
  ch: FrameChannel,
  self: string,
  incarnation: string,
  expected: string | null,
  secret: Uint8Array,
  role: Role,
  timeoutMs: number,
): Promise<Authenticated> {
  const c = await nextMessage(ch, timeoutMs);
  if (c.t !== 'challenge' || c.v !== VERSION) throw new Error(`not an actor-runtime node (no ${VERSION} challenge)`);
  const peer = c.node;
  if (typeof peer !== 'string' || !NODE_NAME.test(peer)) throw new Error('challenge without a valid node name');
  if (expected !== null && peer !== expected) throw new Error(`expected node ${expected}, found ${peer}`);
  if (typeof c.nonce !== 'string' || c.nonce.length < 32) throw new Error('challenge without a nonce');
  const inc = typeof c.inc === 'string' ? c.inc.slice(0, 64) : '';
  const cn = randomBytes(32).toString('base64');
  ch.send(JSON.stringify({ t: 'hello', node: self, role, inc: incarnation, nonce: cn, mac: mac(secret, VERSION, 'hello', role, self, incarnation, peer, c.nonce, cn) }));
  const w = await nextMessage(ch, timeoutMs);
  if (w.t !== 'welcome' || !sameMac(w.mac, mac(secret, VERSION, 'welcome', peer, inc, self, cn, c.nonce))) {
    throw new Error(`node ${peer} did not prove it knows the secret`);
  }
  return { peer, role, incarnation: inc };
}
