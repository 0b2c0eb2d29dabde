// The broker fan-out load generator (performance.md), run as its own process: 1 publisher and
// `subs` subscribers on one topic, `count` messages of `size` bytes, through each system's own
// Node client: ours (BrokerClient over the local broker's socket, streaming receive), NATS (`nats`), Redis pub/sub
// (`ioredis`) and MQTT QoS 0 (`mqtt`, for Mosquitto). The publisher keeps at most `window`
// publishes unacknowledged where the client has acknowledgements. Prints one JSON line:
// {delivered, expected, seconds, rate}. Usage: broker-fanout.ts '<json config>'

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
}

const c = JSON.parse(process.argv[2]) as Config;
const payload = 'x'.repeat(c.size);
const topic = 'bench';
let delivered = 0;
/** Publishes answered -5 (a full subscriber queue) and sent again: the broker's backpressure at work. */
let retries = 0;
const expected = c.count * c.subs;
let finish: () => void = () => {};
const done = new Promise<void>((r) => (finish = r));
const got = (): void => {
  if (++delivered === expected) finish();
};

/** Sends `count` publishes with at most `window` in flight. */
async function publishAll(send: () => Promise<unknown>): Promise<void> {
  let sent = 0;
  await Promise.all(
    Array.from({ length: c.window }, async () => {
      while (sent < c.count) {
        sent++;
        await send();
      }
    }),
  );
}

async function ours(): Promise<() => Promise<void>> {
  const subs: BrokerClient[] = [];
  for (let i = 0; i < c.subs; i++) {
    const s = await BrokerClient.connect({ socket: c.target });
    const id = await s.create();
    await s.subscribe(id, topic);
    subs.push(s);
    // a streaming receive: the local broker pushes batches under a credit window
    void (async () => {
      let mine = 0;
      for await (const _ of s.messages(id, { credit: 4096 })) {
        got();
        if (++mine === c.count) return;
      }
    })().catch(() => {});
  }
  const pub = await BrokerClient.connect({ socket: c.target });
  const pid = await pub.create();
  return async () => {
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
    await publishAll(publish);
    await done;
    for (const s of [pub, ...subs]) s.close();
  };
}

async function nats(): Promise<() => Promise<void>> {
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
  return async () => {
    for (let i = 0; i < c.count; i++) {
      pub.publish(topic, data);
      if (i % c.window === c.window - 1) await pub.flush();
    }
    await pub.flush();
    await done;
    for (const nc of [pub, ...subs]) await nc.close();
  };
}

async function redis(): Promise<() => Promise<void>> {
  const { Redis } = await import('ioredis');
  const subs: InstanceType<typeof Redis>[] = [];
  for (let i = 0; i < c.subs; i++) {
    const r = new Redis({ port: Number(c.target), host: '127.0.0.1' });
    r.on('message', () => got());
    await r.subscribe(topic);
    subs.push(r);
  }
  const pub = new Redis({ port: Number(c.target), host: '127.0.0.1' });
  return async () => {
    await publishAll(() => pub.publish(topic, payload));
    await done;
    for (const r of [pub, ...subs]) r.disconnect();
  };
}

async function mqtt(): Promise<() => Promise<void>> {
  const { connectAsync } = await import('mqtt');
  const subs: Awaited<ReturnType<typeof connectAsync>>[] = [];
  for (let i = 0; i < c.subs; i++) {
    const m = await connectAsync(`mqtt://127.0.0.1:${c.target}`);
    m.on('message', () => got());
    await m.subscribeAsync(topic, { qos: 0 });
    subs.push(m);
  }
  const pub = await connectAsync(`mqtt://127.0.0.1:${c.target}`);
  return async () => {
    await publishAll(() => pub.publishAsync(topic, payload, { qos: 0 }));
    await done;
    for (const m of [pub, ...subs]) await m.endAsync(true);
  };
}

const setup = { ours, nats, redis, mqtt }[c.kind];
const go = await setup();
const t0 = performance.now();
const timer = setTimeout(() => {
  process.stdout.write(JSON.stringify({ delivered, expected, seconds: (performance.now() - t0) / 1000, rate: 0, error: 'timeout' }) + '\n');
  process.exit(1);
}, c.timeoutMs);
await go();
const seconds = (performance.now() - t0) / 1000;
clearTimeout(timer);
process.stdout.write(JSON.stringify({ delivered, expected, seconds, rate: delivered / seconds, retries }) + '\n');
process.exit(0);
