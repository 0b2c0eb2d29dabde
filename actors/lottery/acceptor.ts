// Acceptor (lottery.md §2, §3 Ex8): a listening socket on its own thread. Several acceptors, one
// per worker thread, listen on the same port with `reusePort` and the kernel spreads connections
// across them. Each accepted socket gets a Connection actor on this thread (sockets cannot move
// between threads). Connections are capped at maxConnections per acceptor's share.

import { defineActor, supervisors, type ActorRef, type Reply } from '../../runtime/index.ts';
import { Listener } from '../../runtime/io/listener.ts'; // not io/index.ts: the server loads no datagram, signal or reconnect code
import { giveHandle } from '../../runtime/io/handoff.ts';
import { Connection, type ConnectionMsg, type ConnectionProps, type ConnectionReleased } from './connection.ts';
import { Tp0Log } from './tp0log.ts';

/** The settings every Connection gets, plus the listener's own. */
export interface AcceptorProps extends ConnectionProps {
  index: number;
  host: string;
  port: number;
  listenBacklog: number;
  maxConnections: number;
}

/** Idle Connection actors kept for reuse (more are stopped when released). */
const IDLE_POOL = 64;

export type AcceptorMsg =
  | ConnectionReleased
  /** ask -> { port } once listening. */
  | { t: 'port' }
  /** ask -> { cut, finished }: stop accepting; finish store exchanges in flight; close the rest. */
  | { t: 'drain'; deadlineMs: number }
  | { t: 'drain-deadline' };

export const Acceptor = defineActor<AcceptorMsg, AcceptorProps>(
  import.meta.url,
  'Acceptor',
  (props, ctx) => {
    const log = new Tp0Log({ level: props.loggingLevel, source: props.source });
    let server: Listener | null = null;
    let port = 0;
    let seq = 0;
    /** Connection actors serving a socket now, and the pool of idle ones reused for new sockets. */
    const live = new Map<string, ActorRef<ConnectionMsg>>();
    const idle: ActorRef<ConnectionMsg>[] = [];
    const all = new Map<string, ActorRef<ConnectionMsg>>();
    let draining = false;
    let drainReply: Reply | null = null;
    let listenerClosed = false;
    const portWaiters: Reply[] = [];

    const connProps = (): ConnectionProps => ({
      mode: props.mode,
      agencies: props.agencies,
      idleTimeoutMs: props.idleTimeoutMs,
      winnersHoldMs: props.winnersHoldMs,
      maxFrameBytes: props.maxFrameBytes,
      loggingLevel: props.loggingLevel,
      source: props.source,
      store: props.store,
      coordinator: props.coordinator,
    });

    function closeListener(): void {
      if (listenerClosed) return;
      listenerClosed = true;
      server?.stop();
      log.info('close_listener', 'success', { port, acceptor: props.index });
    }

    function maybeDrained(): void {
      if (drainReply && live.size === 0) {
        ctx.timers.cancel('drain');
        drainReply.resolve({ remaining: 0 });
        drainReply = null;
      }
    }

    return {
      started() {
        const l = new Listener({
          target: { kind: 'tcp', host: props.host, port: props.port, backlog: props.listenBacklog, reusePort: true },
          // Over this acceptor's share of maxConnections a new socket is dropped, as net.Server's
          // maxConnections did.
          admit: () => (draining || l.openConnections >= props.maxConnections ? 'refuse' : 'accept'),
          onConnection: (socket) => {
            let ref = idle.pop();
            if (!ref) {
              ref = ctx.spawn(Connection, { name: `c${++seq}`, props: connProps() });
              all.set(ref.path, ref);
              ctx.watch(ref);
            }
            live.set(ref.path, ref);
            ref.tell({ type: 'socket', token: giveHandle(socket) });
          },
          onError: (err) => ctx.fail(err),
          allowHalfOpen: false,
        });
        return l.ready.then(() => {
          port = l.port;
          server = l;
          ctx.log.info('listening', { host: props.host, port, acceptor: props.index });
          for (const w of portWaiters.splice(0)) w.resolve({ port });
        });
      },
      receive(msg) {
        switch (msg.t) {
          case 'port':
            if (server) ctx.reply({ port });
            else {
              const r = ctx.deferReply();
              if (r) portWaiters.push(r);
            }
            return;
          case 'drain':
            draining = true;
            closeListener();
            for (const ref of live.values()) ref.tell({ type: 'drain' });
            drainReply = ctx.deferReply();
            ctx.timers.once('drain', msg.deadlineMs, { t: 'drain-deadline' });
            maybeDrained();
            return;
          case 'released': {
            const ref = ctx.sender as ActorRef<ConnectionMsg> | null;
            if (!ref || !all.has(ref.path)) return;
            live.delete(ref.path);
            if (draining || idle.length >= IDLE_POOL) {
              all.delete(ref.path);
              ctx.stop(ref);
            } else idle.push(ref);
            maybeDrained();
            return;
          }
          case 'drain-deadline':
            if (drainReply) {
              drainReply.resolve({ remaining: live.size });
              drainReply = null;
            }
            return;
        }
      },
      terminated({ ref }) {
        live.delete(ref.path);
        all.delete(ref.path);
        const i = idle.findIndex((r) => r.path === ref.path);
        if (i >= 0) idle.splice(i, 1);
        maybeDrained();
      },
      stopped() {
        closeListener();
      },
      inspect() {
        return { port, connections: live.size, idle: idle.length, draining };
      },
    };
  },
  // A crashed connection is not restarted into a socket it no longer has (see Connection.started).
  { supervisor: supervisors.alwaysRestart({ minMs: 0, maxMs: 0 }) },
);
