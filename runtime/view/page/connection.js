// The ws link to the runtime: answers the secret's challenge (HMAC-SHA256 of the nonce, never the
// secret itself), reconnects with backoff, and hands every message to `onMessage`.

async function hmacHex(secret, nonce) {
  const enc = new TextEncoder();
  if (globalThis.crypto?.subtle) {
    const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const sig = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(nonce)));
    return [...sig].map((b) => b.toString(16).padStart(2, '0')).join('');
  }
  // Plain http on a public address is not a secure context: no WebCrypto there.
  const [{ hmac }, { sha256 }] = await Promise.all([import('/vendor/noble/hmac.js'), import('/vendor/noble/sha2.js')]);
  return [...hmac(sha256, enc.encode(secret), enc.encode(nonce))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function connect({ onMessage, onStatus, askSecret }) {
  let ws = null;
  let delay = 500;
  let stopped = false;
  let problem = null;
  let secret = sessionStorage.getItem('actor-runtime-secret') ?? new URLSearchParams(location.hash.slice(1)).get('secret');

  const open = () => {
    onStatus('connecting');
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    ws.onopen = () => (delay = 500);
    ws.onmessage = async (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === 'challenge') {
        if (!secret) secret = await askSecret(problem);
        ws.send(JSON.stringify({ op: 'auth', proof: await hmacHex(secret, msg.nonce) }));
        return;
      }
      if (msg.type === 'hello') {
        if (secret) sessionStorage.setItem('actor-runtime-secret', secret);
        onStatus('live');
      }
      if (msg.type === 'error' && /^refused: wrong secret/.test(msg.message)) {
        sessionStorage.removeItem('actor-runtime-secret');
        secret = null;
        problem = 'wrong secret';
      }
      onMessage(msg);
    };
    ws.onclose = () => {
      onStatus('down');
      if (stopped) return;
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10_000);
    };
  };
  open();
  return {
    send: (obj) => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify(obj)),
    close: () => ((stopped = true), ws?.close()),
  };
}
