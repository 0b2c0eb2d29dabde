// The lottery server as a supervised tree (lottery.md §2, §7):
//
//   /lottery                 LotteryServer (supervisor, on worker 0 — main when there are no workers)
//     store                  BetStore        (same thread: the single writer)
//     draw                   DrawCoordinator (same thread)
//     acceptor-0..K-1        Acceptor on worker thread i, all on one port (reusePort)
//       cN                   Connection, one per TCP connection, on its acceptor's thread
//
// Every acceptor reaches the one BetStore and the one DrawCoordinator through refs, so `sorteo`
// is logged once whatever K is, and no lock is ever held across network I/O.

import net from 'node:net';
import { defineActor, type ActorRef, type ActorSystem } from '../../runtime/index.ts';
import { Acceptor, type AcceptorMsg } from './acceptor.ts';
import { BetStore, type BetStoreMsg } from './betstore.ts';
import { DrawCoordinator } from './coordinator.ts';
import type { ServerSettings } from './config.ts';
import type { CoordinatorMsg, CoordinatorStatus } from './coordinator.ts';

export interface LotteryServerProps {
  settings: ServerSettings;
  /** Worker threads available (acceptor i goes on thread i % threads; main when 0). */
  threads: number;
}

export type LotteryServerMsg =
  /** ask -> { remaining }: stop accepting, finish store exchanges in flight, cut the rest. */
  | { t: 'drain'; deadlineMs: number }
  /** ask -> CoordinatorStatus | null */
  | { t: 'status' };

export const LotteryServer = defineActor<LotteryServerMsg, LotteryServerProps>(
  import.meta.url,
  'LotteryServer',
  (props, ctx) => {
    const s = props.settings;
    const acceptors: ActorRef<AcceptorMsg>[] = [];
    let draw: ActorRef<CoordinatorMsg> | null = null;
    return {
      started() {
        const here = ctx.thread;
        const storeLoc = { path: `${ctx.path}/store`, thread: here };
        const drawLoc = { path: `${ctx.path}/draw`, thread: here };
        if (s.mode !== 'echo') {
          ctx.spawn(BetStore, {
            name: 'store',
            props: { dataDir: s.dataDir, agencies: s.agencies, coordinator: drawLoc, loggingLevel: s.loggingLevel, source: s.source, durability: s.durability, exitsAfterStop: s.exitsAfterStop },
          });
          draw = ctx.spawn(DrawCoordinator, {
            name: 'draw',
            props: { agencies: s.agencies, store: storeLoc, loggingLevel: s.loggingLevel, source: s.source },
          });
        }
        const perAcceptor = Math.max(1, Math.ceil(s.maxConnections / s.servers));
        for (let i = 0; i < s.servers; i++) {
          acceptors.push(
            ctx.spawn(Acceptor, {
              name: `acceptor-${i}`,
              thread: props.threads > 0 ? i % props.threads : 'main',
              props: {
                index: i,
                host: s.host,
                port: s.port,
                listenBacklog: s.listenBacklog,
                maxConnections: perAcceptor,
                ...connectionSettings(s),
                store: storeLoc,
                coordinator: drawLoc,
              },
            }),
          );
        }
      },
      async receive(msg) {
        if (msg.t === 'drain') {
          const r = await Promise.allSettled(acceptors.map((a) => a.ask<{ remaining: number }>({ t: 'drain', deadlineMs: msg.deadlineMs }, { timeoutMs: msg.deadlineMs + 2000 })));
          ctx.reply({ remaining: r.reduce((n, x) => n + (x.status === 'fulfilled' ? x.value.remaining : 0), 0) });
        } else {
          ctx.reply(draw ? await draw.ask<CoordinatorStatus>({ type: 'status' }, { timeoutMs: 5000 }).catch(() => null) : null);
        }
      },
    };
  },
  { supervisor: { strategy: 'one-for-one', maxRestarts: 20, withinMs: 10_000, backoff: { minMs: 50, maxMs: 2000, jitter: 0.2 } } },
);

/** A free TCP port on `host` (K acceptors must share a fixed port, so port 0 is resolved first). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port: 0, host }, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * Waits until every acceptor listens: each answers `port` once bound. An ask that arrives before
 * its acceptor is spawned (another thread, a loaded machine) is retried until `timeoutMs`. No
 * probe connection is made, so the server never sees a peer of our own.
 */
async function whenListening(acceptors: ActorRef<AcceptorMsg>[], timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let port = 0;
  for (const a of acceptors) {
    for (;;) {
      try {
        ({ port } = await a.ask<{ port: number }>({ t: 'port' }, { timeoutMs: Math.max(100, until - Date.now()) }));
        break;
      } catch (err) {
        if (Date.now() > until) throw new Error(`${a.path} is not listening after ${timeoutMs} ms: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  return port;
}

/** The thread of the server's supervisor, BetStore and DrawCoordinator (worker 0, or main without workers). */
export function coreThread(system: ActorSystem): number | 'main' {
  return system.threads > 0 ? 0 : 'main';
}

export interface ServerHandle {
  /** The BetStore (tests, tools). */
  store: ActorRef<BetStoreMsg>;
  /** The DrawCoordinator. */
  coordinator: ActorRef<CoordinatorMsg>;
  ref: ActorRef<LotteryServerMsg>;
  port: number;
  /** Stop accepting, finish store exchanges in flight, cut idle and parked connections. */
  drain(deadlineMs?: number): Promise<void>;
  status(): Promise<CoordinatorStatus | null>;
}

/** Spawns the server tree into a running system and waits until it accepts connections. */
export async function startServer(system: ActorSystem, settings: ServerSettings, name = 'lottery'): Promise<ServerHandle> {
  const s = { ...settings };
  // Port 0: one acceptor binds it itself and tells the port it got; K acceptors must share one, found first.
  if (s.port === 0 && s.servers > 1) s.port = await freePort(s.host === '0.0.0.0' ? '127.0.0.1' : s.host);
  // The supervisor, the BetStore and the DrawCoordinator share the first acceptor's thread: with
  // one acceptor nothing crosses threads on the data path; with K, acceptors 1..K-1 reach them by ref.
  const ref = system.spawn(LotteryServer, { name, thread: coreThread(system), props: { settings: s, threads: system.threads } });
  const accs = Array.from({ length: s.servers }, (_, i) =>
    system.refFor<AcceptorMsg>(`/${name}/acceptor-${i}`, system.threads > 0 ? i % system.threads : -1),
  );
  const port = await whenListening(accs);
  const core = system.threads > 0 ? 0 : -1;
  return {
    ref,
    store: system.refFor<BetStoreMsg>(`/${name}/store`, core),
    coordinator: system.refFor<CoordinatorMsg>(`/${name}/draw`, core),
    port,
    async drain(deadlineMs = 3000) {
      await ref.ask({ t: 'drain', deadlineMs }, { timeoutMs: deadlineMs + 500 }).catch(() => undefined);
    },
    status: () => ref.ask<CoordinatorStatus | null>({ t: 'status' }, { timeoutMs: 5000 }),
  };
}

/** What each acceptor's connections need from the server's settings (threads and processes alike). */
export function connectionSettings(s: ServerSettings) {
  return { mode: s.mode, agencies: s.agencies, idleTimeoutMs: s.idleTimeoutMs, winnersHoldMs: s.winnersHoldMs, maxFrameBytes: s.maxFrameBytes, loggingLevel: s.loggingLevel, source: s.source };
}
