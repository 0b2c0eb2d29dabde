// The broker fan-out load generator (performance.md), run as its own process: 1 publisher and
// `subs` subscribers on one topic, `count` messages of `size` bytes, through each system's own
// Node client: ours (BrokerClient over the local broker's socket, streaming receive), NATS (`nats`), Redis pub/sub
// (`ioredis`) and MQTT QoS 0 (`mqtt`, for Mosquitto). The publisher keeps at most `window`
// publishes unacknowledged where the client has acknowledgements. A warm-up of `warmup` messages
// through the same path (JIT, connections, buffers) runs first and is not timed, for every system
// alike. Prints `{"phase":"timed"}` when the timed part starts (the runner samples its servers' CPU
// then), and at the end one JSON line: {delivered, expected, seconds, rate, cpuMs} of the timed
// part (cpuMs: this process's user + system CPU).
// Usage: broker-fanout.ts '<json config>'

import { BrokerClient } from '../../actors/broker/client.ts';

interface Config {
  kind: 'ours' | 'nats' | 'redis' | 'mqtt';
  /** Socket path (ours) or port. */
  target: string;
  count: number;
  subs: number;
  size: number;
  window: number;
  timeoutMs: number;
  /** Messages sent and delivered before the timed part (default 0). */
  warmup?: number;
}

const c = JSON.parse(process.argv[2]) as Config;
const payload = 'x'.repeat(c.size);
const topic = 'bench';
let delivered = 0;
/** Publishes answered -5 (a full subscriber queue) and sent again: the broker's backpressure at work. */
let retries = 0;
const expected = c.count * c.subs;
/** Deliveries that end the current phase, and what it resolves. */
let target = Infinity;
let reached: () => void = () => {};
const got = (): void => {
  if (++delivered === target) reached();
};

/** A phase of `n` publishes: resolves once each of them reached every subscriber. */
function phase(n: number): Promise<void> {
  target = delivered + n * c.subs;
  return new Promise((r) => (reached = r));
}

/** Sends `n` publishes with at most `window` in flight. */
async function publishAll(n: number, send: () => Promise<unknown>): Promise<void> {
  let sent = 0;
  await Promise.all(
    Array.from({ length: c.window }, async () => {
      while (sent < n) {
        sent++;
        await send();
      }
    }),
  );
}

interface System {
  /** Publishes `n` messages; resolves once all were delivered to every subscriber. */
  run(n: number): Promise<void>;
  close(): Promise<void>;
}

async function ours(): Promise<System> {
  const subs: BrokerClient[] = [];
  for (let i = 0; i < c.subs; i++) {
    const s = await BrokerClient.connect({ socket: c.target });
    const id = await s.create();
    await s.subscribe(id, topic);
    subs.push(s);
    // a streaming receive: the local broker pushes batches under a credit window (ends on close)
    void (async () => {
      for await (const _ of s.messages(id, { credit: 4096 })) got();
    })().catch(() => {});
  }
  const pub = await BrokerClient.connect({ socket: c.target });
  const pid = await pub.create();
  // a full subscriber queue (-5) is the broker's backpressure: wait a little and publish again
  const publish = async (): Promise<void> => {
    for (;;) {
      try {
        await pub.publish(pid, payload, topic);
        return;
      } catch (e) {
        if ((e as { code?: number }).code !== -5) throw e;
        retries++;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  };
  return {
    async run(n) {
      const all = phase(n);
      await publishAll(n, publish);
      await all;
    },
    async close() {
      for (const s of [pub, ...subs]) s.close();
    },
  };
}

async function nats(): Promise<System> {
  const { connect } = await import('nats');
  const subs: Awaited<ReturnType<typeof connect>>[] = [];
  for (let i = 0; i < c.subs; i++) {
    const nc = await connect({ port: Number(c.target) });
    nc.subscribe(topic, { callback: () => got() });
    await nc.flush();
    subs.push(nc);
  }
  const pub = await connect({ port: Number(c.target) });
  const data = new TextEncoder().encode(payload);
  return {
    async run(n) {
      const all = phase(n);
      for (let i = 0; i < n; i++) {
        pub.publish(topic, data);
        if (i % c.window === c.window - 1) await pub.flush();
      }
      await pub.flush();
      await all;
    },
    async close() {
      for (const nc of [pub, ...subs]) await nc.close();
    },
  };
}

async function redis(): Promise<System> {
  const { Redis } = await import('ioredis');
  const subs: InstanceType<typeof Redis>[] = [];
  for (let i = 0; i < c.subs; i++) {
    const r = new Redis({ port: Number(c.target), host: '127.0.0.1' });
    r.on('message', () => got());
    await r.subscribe(topic);
    subs.push(r);
  }
  const pub = new Redis({ port: Number(c.target), host: '127.0.0.1' });
  return {
    async run(n) {
      const all = phase(n);
      await publishAll(n, () => pub.publish(topic, payload));
      await all;
    },
    async close() {
      for (const r of [pub, ...subs]) r.disconnect();
    },
  };
}

async function mqtt(): Promise<System> {
  const { connectAsync } = await import('mqtt');
  const subs: Awaited<ReturnType<typeof connectAsync>>[] = [];
  for (let i = 0; i < c.subs; i++) {
    const m = await connectAsync(`mqtt://127.0.0.1:${c.target}`);
    m.on('message', () => got());
    await m.subscribeAsync(topic, { qos: 0 });
    subs.push(m);
  }
  const pub = await connectAsync(`mqtt://127.0.0.1:${c.target}`);
  return {
    async run(n) {
      const all = phase(n);
      await publishAll(n, () => pub.publishAsync(topic, payload, { qos: 0 }));
      await all;
    },
    async close() {
      for (const m of [pub, ...subs]) await m.endAsync(true);
    },
  };
}

const setup = { ours, nats, redis, mqtt }[c.kind];
let t0 = performance.now();
let from = 0;
const timer = setTimeout(() => {
  const got = delivered - from;
  process.stdout.write(JSON.stringify({ delivered: got, expected, seconds: (performance.now() - t0) / 1000, rate: 0, error: 'timeout' }) + '\n');
  process.exit(1);
}, c.timeoutMs);
const system = await setup();
if ((c.warmup ?? 0) > 0) await system.run(c.warmup as number);
const retriedInWarmup = retries;
from = delivered;
process.stdout.write('{"phase":"timed"}\n');
const cpu0 = process.cpuUsage();
t0 = performance.now();
await system.run(c.count);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const timed = delivered - from;
clearTimeout(timer);
await system.close();
process.stdout.write(JSON.stringify({ delivered: timed, expected, seconds, rate: timed / seconds, retries: retries - retriedInWarmup, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n');
process.exit(0);
