// Crash trials (broker.md §12, §7): a broker server and a local broker as child processes, a
// random sequence of operations through the client API, and a kill -9 of the server or of the
// local broker at a random moment of a random step, then a restart on the same data. Every reply
// is checked against the reference model; a reply lost to the crash (-6) makes that one step
// ambiguous, and the trial settles it (re-subscribe, re-unsubscribe, re-destroy; a publish may be
// delivered to all of its subscribers or to none). At the end every acknowledged publish must be
// received by each of its subscribers (duplicates of a seq already seen are allowed: at least once).
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { BrokerClient, type JsonReply } from '../../actors/broker/client.ts';
import { cli, tmp, waitFor, type Proc } from './helpers.ts';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A small deterministic generator so a failing trial can be replayed from its seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

interface Queued {
  msg: string;
  topic: string;
  /** The publish that queued it was lost to the crash: it may be there or not. */
  maybe: boolean;
}

interface ModelId {
  topics: Set<string>;
  queue: Queued[];
  seen: Map<number, string>;
}

export type Victim = 'server' | 'local' | 'link';

export class CrashRig {
  readonly dir = tmp('broker-crash-');
  port = 0;
  /** The local broker reaches the server through this TCP relay, so a test can cut the link. */
  proxy: Server | null = null;
  proxyPort = 0;
  readonly #piped = new Set<Socket>();
  server: Proc | null = null;
  local: Proc | null = null;
  client: BrokerClient | null = null;
  readonly socket = join(this.dir, 'lb', 'lb.sock');

  async start(): Promise<void> {
    this.port = await freePort();
    this.proxy = createServer((down) => {
      const up = connect(this.port, '127.0.0.1');
      for (const s of [down, up]) {
        this.#piped.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.#piped.delete(s);
          down.destroy();
          up.destroy();
        });
      }
      down.pipe(up);
      up.pipe(down);
    });
    await new Promise<void>((r) => this.proxy!.listen(0, '127.0.0.1', r));
    this.proxyPort = (this.proxy.address() as { port: number }).port;
    await this.startServer();
    await this.startLocal();
  }

  async startServer(): Promise<void> {
    this.server = cli(['broker', 'server', '--listen', `127.0.0.1:${this.port}`, '--data', join(this.dir, 'srv')]);
    const p = this.server;
    await waitFor(() => p.lines.some((l) => l.includes('broker server listening')), 'the broker server to listen', 20_000);
  }

  async startLocal(): Promise<void> {
    this.local = cli(['broker', 'local', '--server', `ws://127.0.0.1:${this.proxyPort}`, '--data', join(this.dir, 'lb'), '--request-timeout', '15000']);
    const p = this.local;
    await waitFor(() => p.lines.some((l) => l.includes('server link open')), 'the local broker link', 20_000);
    this.client = await BrokerClient.connect({ socket: this.socket });
  }

  async kill(which: Victim): Promise<void> {
    if (which === 'link') {
      const links = this.server!.lines.filter((l) => l.includes('local broker linked')).length;
      for (const s of this.#piped) s.destroy();
      await waitFor(() => this.server!.lines.filter((l) => l.includes('local broker linked')).length > links, 'the link to come back', 20_000);
      return;
    }
    const p = which === 'server' ? this.server! : this.local!;
    p.child.kill('SIGKILL');
    assert.equal(await p.exited, 137);
    if (which === 'server') await this.startServer();
    else {
      this.client?.close();
      await this.startLocal();
    }
  }

  async stop(): Promise<void> {
    this.client?.close();
    for (const s of this.#piped) s.destroy();
    this.proxy?.close();
    for (const p of [this.local, this.server]) {
      if (p && p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
  }

  /** One trial: fresh ids, `steps` random operations, one kill at a random moment of a random step. */
  async trial(seed: number, which: Victim, steps = 16): Promise<{ acked: number; ambiguous: number }> {
    try {
      return await this.#trial(seed, which, steps);
    } catch (e) {
      const tail = (p: Proc | null): string => (p ? p.lines.slice(-8).join('\n') : '');
      process.stderr.write(`trial ${seed} (${which}) failed\n--- server stderr ---\n${tail(this.server)}\n--- local broker stderr ---\n${tail(this.local)}\n`);
      throw e;
    }
  }

  async #trial(seed: number, which: Victim, steps: number): Promise<{ acked: number; ambiguous: number }> {
    const rand = rng(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const topics = [`s${seed}a`, `s${seed}b`];
    const ids = new Map<number, ModelId>();
    let acked = 0;
    let ambiguous = 0;
    const c = (): BrokerClient => this.client!;
    const callOk = async (body: Parameters<BrokerClient['call']>[0]): Promise<JsonReply> => {
      const r = await c().call(body);
      assert.ok(r.status >= 0 || r.status === -1, `settling ${body.type}: ${JSON.stringify(r)}`);
      return r;
    };
    for (let i = 0; i < 3; i++) {
      const r = await callOk({ type: 'create' });
      ids.set(r.status, { topics: new Set(), queue: [], seen: new Map() });
    }
    const killAt = Math.floor(rand() * steps);
    let n = 0;
    const recvOne = async (id: number, m: ModelId, r: JsonReply): Promise<void> => {
      if (r.status !== 1) {
        // nothing there: everything still expected must be a maybe (or not pushed yet, checked at the end)
        return;
      }
      const prior = m.seen.get(r.seq!);
      if (prior !== undefined) {
        assert.equal(r.msg, prior, `a redelivered seq ${r.seq} carries the same message`);
        return;
      }
      m.seen.set(r.seq!, r.msg!);
      while (m.queue.length > 0 && m.queue[0].msg !== r.msg && m.queue[0].maybe) m.queue.shift();
      assert.ok(m.queue.length > 0, `id ${id} received ${r.msg} which was never published to it (seed ${seed})`);
      assert.equal(r.msg, m.queue[0].msg, `id ${id}: FIFO order (seed ${seed})`);
      m.queue.shift();
    };
    for (let step = 0; step < steps; step++) {
      const id = pick([...ids.keys()]);
      const m = ids.get(id)!;
      const roll = rand();
      const topic = pick(topics);
      let killing: Promise<void> | null = null;
      const crash = step === killAt ? setTimeout(() => (killing = this.kill(which)), Math.floor(rand() * 4)) : null;
      const afterCrash = async (): Promise<void> => {
        if (!crash) return;
        await waitFor(() => killing !== null, 'the kill', 20_000);
        await killing;
      };
      if (roll < 0.45) {
        const msg = `m${seed}-${n++}`;
        const subs = [...ids].filter(([, x]) => x.topics.has(topic));
        const r = await c().call({ type: 'publish', id, msg, topic });
        if (r.status === -6) {
          ambiguous++;
          for (const [, x] of subs) x.queue.push({ msg, topic, maybe: true });
        } else {
          assert.equal(r.status, subs.length, `publish status (seed ${seed}): ${JSON.stringify(r)}`);
          acked++;
          for (const [, x] of subs) x.queue.push({ msg, topic, maybe: false });
        }
      } else if (roll < 0.65) {
        const r = await c().call({ type: 'subscribe', id, topic });
        if (r.status === -6) {
          ambiguous++;
          await afterCrash();
          await callOk({ type: 'subscribe', id, topic });
        } else {
          assert.equal(r.status, m.topics.has(topic) ? 1 : 0, `subscribe (seed ${seed})`);
          acked++;
        }
        m.topics.add(topic);
      } else if (roll < 0.72) {
        const r = await c().call({ type: 'unsubscribe', id, topic });
        if (r.status === -6) {
          ambiguous++;
          await afterCrash();
          await callOk({ type: 'unsubscribe', id, topic });
        } else {
          assert.equal(r.status, m.topics.has(topic) ? 0 : 1, `unsubscribe (seed ${seed})`);
          acked++;
        }
        m.topics.delete(topic);
        m.queue = m.queue.filter((q) => q.topic !== topic);
      } else {
        const r = await c().call({ type: 'recv', id, wait: false });
        if (r.status === -6) ambiguous++;
        else await recvOne(id, m, r);
      }
      if (crash) await afterCrash();
    }
    // the local broker's inboxes go too: what is left must come from the server's store
    await this.kill('local');
    // drain: every acknowledged message reaches each of its subscribers
    for (const [id, m] of ids) {
      while (m.queue.some((q) => !q.maybe)) {
        const r = await c().call({ type: 'recv', id, wait: false, timeoutMs: 3000 });
        assert.equal(r.status, 1, `id ${id} still expects ${JSON.stringify(m.queue.filter((q) => !q.maybe).map((q) => q.msg))} (seed ${seed}, ${which} killed at step ${killAt})`);
        await recvOne(id, m, r);
      }
      await callOk({ type: 'destroy', id });
    }
    return { acked, ambiguous };
  }
}

