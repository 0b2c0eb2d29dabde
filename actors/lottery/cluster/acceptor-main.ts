// One acceptor process of a multi-process lottery server (`servers: K` with `processes: true`):
// a small runtime node that listens on the lottery port with `reusePort` beside its siblings and
// reaches the one BetStore and the one DrawCoordinator of the core node through node-qualified
// refs (`lottery-core:/lottery/store`). The Acceptor and its Connections are the same actors as in
// one process; only their refs name another node. Every ACK still follows the store's durable
// commit: the store's reply crosses the link back after the commit, and a link lost with a batch
// in flight rejects that ask (`node-down`), so the batch fails (no ACK) and the agency resends it.
//
// Started by the core's AcceptorProcess actor (supervisor.ts), never by hand: its settings come
// in LOTTERY_ACCEPTOR (JSON, nothing secret), the link secret in the environment variable
// LOTTERY_CLUSTER_SECRET (never on the command line). It says `ready` over IPC once it listens,
// drains on SIGTERM/SIGINT or when its parent goes away, and exits 0.
import '../../../runtime/io/early-signals.ts';
import type { AcceptorMsg, AcceptorProps } from '../acceptor.ts';
import { ACCEPTOR_ENV, CLUSTER_SECRET_ENV, type AcceptorLaunch } from './launch.ts';

function die(message: string, code = 1): never {
  process.stderr.write(`error: lottery acceptor: ${message}\n`);
  process.exit(code);
}

const raw = process.env[ACCEPTOR_ENV];
if (!raw) die(`${ACCEPTOR_ENV} is not set (this process is started by a multi-process lottery server)`, 2);
const launch = JSON.parse(raw) as AcceptorLaunch;
delete process.env[ACCEPTOR_ENV];

let stopRequested = false;
let stopNow: (() => void) | null = null;
const onStop = (): void => {
  if (stopNow) stopNow();
  else stopRequested = true;
};
process.on('SIGTERM', onStop);
process.on('SIGINT', onStop);
process.on('disconnect', onStop);

const [{ ActorSystem }, { Acceptor }] = await Promise.all([import('../../../runtime/kernel/system.ts'), import('../acceptor.ts')]);
const system = await ActorSystem.start({
  name: `lottery-acceptor-${launch.index}`,
  threads: 0,
  logLevel: process.env.LOG_LEVEL ?? 'warn',
  // A crashed Acceptor (a listener error) is restarted here a few times; past that this process
  // exits and the core starts another one, with its backoff.
  supervisor: { strategy: 'one-for-one', maxRestarts: 3, withinMs: 10_000, backoff: { minMs: 50, maxMs: 500, jitter: 0.2 } },
  node: {
    name: launch.nodeName,
    peers: [{ name: launch.coreNode, url: launch.coreUrl }],
    secretEnv: CLUSTER_SECRET_ENV,
    heartbeatMs: launch.heartbeatMs,
  },
}).catch((err: Error) => die(`cannot start its node: ${err.message}`));
// Read by the node at start; no child of this process needs it.
delete process.env[CLUSTER_SECRET_ENV];
const node = system.node!;
try {
  // Nothing is accepted before the store can be reached: a connection here must be servable.
  await node.connected(launch.coreNode, 10_000);
} catch (err) {
  await system.stop(1000);
  die((err as Error).message);
}

const props: AcceptorProps = {
  ...launch.connection,
  index: launch.index,
  host: launch.host,
  port: launch.port,
  listenBacklog: launch.listenBacklog,
  maxConnections: launch.maxConnections,
  store: { path: `${launch.coreNode}:${launch.storePath}`, thread: -1 },
  coordinator: { path: `${launch.coreNode}:${launch.drawPath}`, thread: -1 },
};
const acceptor = system.spawn(Acceptor, { name: `acceptor-${launch.index}`, thread: 'main', props });
let stopping = false;
// An Acceptor the kernel gave up on leaves this process without a listener: exit, to be replaced.
system.events.subscribe((ev) => {
  if (ev.type !== 'stop' || ev.path !== acceptor.path || stopping) return;
  process.stderr.write(`error: lottery acceptor ${launch.index}: its acceptor stopped (${ev.reason})\n`);
  process.exit(1);
});
let port: number;
try {
  ({ port } = await acceptor.ask<{ port: number }>({ t: 'port' } satisfies AcceptorMsg, { timeoutMs: 10_000 }));
} catch (err) {
  await system.stop(1000);
  die(`not listening on ${launch.host}:${launch.port}: ${(err as Error).message}`);
}
system.log.info('acceptor process listening', { index: launch.index, pid: process.pid, port });

/** Sockets served by this process (the sum of its pooled Connection actors' sessions). */
async function servedConnections(): Promise<number> {
  const snap = await system.snapshot().catch(() => null);
  let n = 0;
  for (const a of snap?.actors ?? []) if (a.kind === 'Connection') n += (a.info as { sessions?: number } | undefined)?.sessions ?? 0;
  return n;
}

stopNow = (): void => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    // The store exchanges in flight finish (their ACKs follow the commit); the rest is cut.
    const r = await acceptor
      .ask<{ remaining: number }>({ t: 'drain', deadlineMs: launch.drainMs } satisfies AcceptorMsg, { timeoutMs: launch.drainMs + 1000 })
      .catch(() => ({ remaining: -1 }));
    system.log.info('acceptor process stopping', { index: launch.index, pid: process.pid, remaining: r.remaining, served: await servedConnections() });
    await system.stop(1500);
    process.exit(0);
  })();
};
if (stopRequested) stopNow();
else if (process.connected) process.send?.({ t: 'ready', port, pid: process.pid }, undefined, {}, () => {});
