// One runtime node for the `nodes` benchmark, in its own process (forked with IPC).
//   node bench/load/node-peer.ts echo              -> listens, echoes every message to its sender
//   node bench/load/node-peer.ts tell <url> <n> <window> <burst>
//   node bench/load/node-peer.ts ask <url> <n>
// Reports { url } when listening (echo), { ms, n } when done (tell/ask), and { peakRss } on
// { op: 'stop' } before exiting. Threads: 0 (the links live on the main thread; the raw ws
// baseline is single-threaded too).
import { ActorSystem, defineActor, type ActorRef } from '../../runtime/index.ts';

const [mode, url, nS, windowS, burstS] = process.argv.slice(2);
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

type Small = { n: number; p: string };
const PAYLOAD = 'abcdefghijklmnop';

const Echo = defineActor<Small>(import.meta.url, 'Echo', () => ({
  receive(msg, ctx) {
    if (ctx.sender) ctx.sender.tell(msg);
    else ctx.reply(msg);
  },
}));

type SenderMsg = Small | { type: 'go' };
/** Keeps `window` messages in flight in bursts of `burst` (one burst per turn leaves as one frame). */
const Sender = defineActor<SenderMsg, { target: ActorRef<Small>; n: number; window: number; burst: number }>(import.meta.url, 'Sender', (p) => {
  let sent = 0;
  let got = 0;
  let t0 = 0;
  let done: ((ms: number) => void) | null = null;
  const refill = (): void => {
    while (sent < p.n && sent - got + p.burst <= p.window) {
      const end = Math.min(p.n, sent + p.burst);
      for (; sent < end; sent++) p.target.tell({ n: sent, p: PAYLOAD });
    }
  };
  return {
    receive(msg, ctx) {
      if ('type' in msg) {
        const r = ctx.deferReply();
        done = (ms) => r?.resolve(ms);
        t0 = performance.now();
        cpuStart();
        refill();
        return;
      }
      got++;
      if (got === p.n) done?.(performance.now() - t0);
      else if (sent - got + p.burst <= p.window) refill();
    },
  };
});

const secret = process.env.ACTOR_RUNTIME_NODE_SECRET ?? 'bench-secret-0123456789';
process.env.ACTOR_RUNTIME_NODE_SECRET = secret;
const name = mode === 'echo' ? 'e' : 's';
const sys = await ActorSystem.start({
  name: `bench-${name}`,
  threads: 0,
  logLevel: 'error',
  statsIntervalMs: 0,
  node: { name, listen: mode === 'echo' ? 'ws://127.0.0.1:0' : undefined, peers: url ? [{ name: 'e', url }] : [], heartbeatMs: 1000 },
});
process.on('message', async (m: { op?: string }) => {
  if (m.op !== 'stop') return;
  process.send!({ peakRss, cpuMs: cpuMs() });
  await sys.stop();
  process.exit(0);
});

if (mode === 'echo') {
  sys.spawn(Echo, { name: 'echo', props: undefined, mailbox: { capacity: Infinity } });
  cpuStart();
  process.send!({ url: sys.node!.url });
} else {
  await sys.node!.connected('e');
  const target = sys.node!.ref<Small>('e:/echo');
  const n = Number(nS);
  if (mode === 'tell') {
    const s = sys.spawn(Sender, { name: 'sender', props: { target, n, window: Number(windowS), burst: Number(burstS) }, mailbox: { capacity: Infinity } });
    const ms = await s.ask<number>({ type: 'go' }, { timeoutMs: 600_000 });
    process.send!({ ms, n, cpuMs: cpuMs() });
  } else {
    for (let i = 0; i < Math.min(1000, n); i++) await target.ask({ n: i, p: PAYLOAD }); // warm-up
    const t0 = performance.now();
    cpuStart();
    for (let i = 0; i < n; i++) await target.ask({ n: i, p: PAYLOAD });
    process.send!({ ms: performance.now() - t0, n, cpuMs: cpuMs() });
  }
}
