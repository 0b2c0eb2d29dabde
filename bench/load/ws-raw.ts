// The `nodes` benchmark's baseline: a raw `ws` server and client in two processes, moving the
// same small messages with the same batching and the same codec (msgpackr) as the node links,
// with no actors, routing or authentication.
//   node bench/load/ws-raw.ts server                              -> { url }
//   node bench/load/ws-raw.ts tell <url> <n> <window> <burst>     -> { ms, n }
//   node bench/load/ws-raw.ts ask <url> <n>                       -> { ms, n }  (ping-pong)
// { op: 'stop' } over IPC reports { peakRss } and exits.
import { WebSocket, WebSocketServer } from 'ws';
import { Packr, Unpackr } from 'msgpackr';
import type { AddressInfo } from 'node:net';

const [mode, url, nS, windowS, burstS] = process.argv.slice(2);
const packr = new Packr({ useRecords: true, moreTypes: true });
const unpackr = new Unpackr({ useRecords: true, moreTypes: true, mapsAsObjects: false });
const PAYLOAD = 'abcdefghijklmnop';
let peakRss = process.memoryUsage.rss();
/** CPU time used so far (user + system), to compare costs on a loaded machine. */
let cpuFrom = 0;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000 - cpuFrom;
};
/** Start-up (module loading) is not part of the figure. */
const cpuStart = (): void => {
  cpuFrom = 0;
  cpuFrom = cpuMs();
};
// rss() alone: the full memoryUsage() walks the heap's spaces, which costs more the bigger the heap
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50).unref();
process.on('message', (m: { op?: string }) => {
  if (m.op !== 'stop') return;
  process.send!({ peakRss, cpuMs: cpuMs() });
  process.exit(0);
});

if (mode === 'server') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      // echo each message back: decode the batch, encode it again
      const msgs = unpackr.unpack(data) as { n: number; p: string }[];
      const back: { n: number; p: string }[] = [];
      for (const m of msgs) back.push(m);
      ws.send(packr.pack(back));
    });
  });
  wss.on('listening', () => cpuStart() ?? process.send!({ url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` }));
} else {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((r) => ws.once('open', r));
  const n = Number(nS);
  if (mode === 'tell') {
    const window = Number(windowS);
    const burst = Number(burstS);
    let sent = 0;
    let got = 0;
    const t0 = performance.now();
    cpuStart();
    await new Promise<void>((resolve) => {
      const refill = (): void => {
        while (sent < n && sent - got + burst <= window) {
          const end = Math.min(n, sent + burst);
          const batch: { n: number; p: string }[] = [];
          for (; sent < end; sent++) batch.push({ n: sent, p: PAYLOAD });
          ws.send(packr.pack(batch));
        }
      };
      ws.on('message', (data: Buffer) => {
        // every echoed message is looked at, as the node benchmark's sender actor receives each
        const msgs = unpackr.unpack(data) as { n: number }[];
        for (let i = 0; i < msgs.length; i++) if (msgs[i].n >= 0) got++;
        if (got === n) resolve();
        else refill();
      });
      refill();
    });
    process.send!({ ms: performance.now() - t0, n, cpuMs: cpuMs() });
  } else {
    let resolveOne: () => void = () => {};
    ws.on('message', (data: Buffer) => {
      unpackr.unpack(data);
      resolveOne();
    });
    const ping = (i: number): Promise<void> =>
      new Promise((r) => {
        resolveOne = r;
        ws.send(packr.pack([{ n: i, p: PAYLOAD }]));
      });
    for (let i = 0; i < Math.min(1000, n); i++) await ping(i);
    const t0 = performance.now();
    cpuStart();
    for (let i = 0; i < n; i++) await ping(i);
    process.send!({ ms: performance.now() - t0, n, cpuMs: cpuMs() });
  }
}
