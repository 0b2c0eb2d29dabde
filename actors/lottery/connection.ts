// Connection (lottery.md §2, §6.3): the thin adapter between one TCP connection and its pure
// session (session.ts). It lives on its Acceptor's thread (a socket cannot move between threads),
// reads through a StreamConnection, turns reads and ask results into session events, and carries
// out the effects the session returns: writes, the BetStore and DrawCoordinator asks, TP0 log
// lines, the retry timer, the close. Reads time out after idleTimeoutMs, except while the server
// works on a request or the request is parked on the draw.
//
// The actor is pooled by its Acceptor and serves one connection at a time, so accepting a
// connection costs no actor creation (and no spawn/stop events crossing threads).

import type { Socket } from 'node:net';
import { defineActor, type StopReason } from '../../runtime/index.ts';
import { StreamConnection } from '../../runtime/io/stream.ts'; // not io/index.ts (server start-up)
import { takeHandle, type HandleToken } from '../../runtime/io/handoff.ts';
import { openSession, step, type Effect, type ServerMode, type Session, type SessionEvent } from './session.ts';
import { Tp0Log } from './tp0log.ts';
import type { BetStoreMsg, StoreProgress, StoreReply } from './betstore.ts';
import type { CoordinatorMsg, WinnersAnswer } from './coordinator.ts';

export type { ServerMode } from './session.ts';

export interface ConnectionProps {
  mode: ServerMode;
  agencies: number;
  idleTimeoutMs: number;
  winnersHoldMs: number;
  maxFrameBytes: number;
  loggingLevel: string;
  source?: string;
  store: { path: string; thread: number };
  coordinator: { path: string; thread: number };
}

export type ConnectionMsg =
  /** From the Acceptor: serve this socket (one at a time; the actor is reused afterwards). */
  | { type: 'socket'; token: HandleToken }
  /** The session `sid` finished: release the actor for the next socket. */
  | { type: 'done'; sid: number }
  | { type: 'retry'; sid: number }
  /** From the Acceptor on shutdown: finish a store exchange in flight, close anything else now. */
  | { type: 'drain' };

/** Told to the Acceptor when a connection is over and this actor can serve another socket. */
export type ConnectionReleased = { t: 'released' };

/** One served socket: its session and what runs its effects. */
interface Served {
  sid: number;
  event(ev: SessionEvent): void;
  stop(reason: StopReason): void;
  inspect(): unknown;
}

export const Connection = defineActor<ConnectionMsg, ConnectionProps>(import.meta.url, 'Connection', (props, ctx) => {
  const log = new Tp0Log({ level: props.loggingLevel, source: props.source });
  const store = ctx.refFor<BetStoreMsg>(props.store.path, props.store.thread);
  const coordinator = ctx.refFor<CoordinatorMsg>(props.coordinator.path, props.coordinator.thread);
  const storeLocal = props.store.thread === ctx.thread;
  const cfg = { mode: props.mode, agencies: props.agencies, maxFrameBytes: props.maxFrameBytes, winnersHoldMs: props.winnersHoldMs };
  let current: Served | null = null;
  let sessions = 0;
  let draining = false;

  const released = (): void => {
    current = null;
    if (ctx.parent) ctx.parent.tell({ t: 'released' } satisfies ConnectionReleased);
  };

  return {
    started() {
      if (ctx.restarts > 0) released(); // the socket went with the crashed incarnation
    },
    receive(msg) {
      switch (msg.type) {
        case 'socket':
          current?.stop('normal');
          current = serve(msg.token);
          return;
        case 'drain':
          draining = true;
          current?.event({ type: 'drain' });
          return;
        case 'retry':
          if (current?.sid === msg.sid) current.event({ type: 'retry' });
          return;
        case 'done':
          if (current?.sid === msg.sid) released();
          return;
      }
    },
    stopped(_c, reason) {
      current?.stop(reason);
      current = null;
    },
    inspect() {
      return { sessions, current: current?.inspect() ?? null };
    },
  };

  function serve(token: HandleToken): Served | null {
    const socket = takeHandle<Socket>(token);
    if (!socket) {
      released();
      return null;
    }
    const sid = ++sessions;
    let open = !socket.destroyed;
    let session: Session;
    socket.setNoDelay(true);
    const deliver = (ev: SessionEvent): void => {
      if (session.state === 'closed') return;
      try {
        run(step(session, ev));
      } catch (err) {
        ctx.fail(err as Error);
      }
    };
    const conn: StreamConnection = new StreamConnection(socket, {
      idleTimeoutMs: props.idleTimeoutMs,
      closeGraceMs: 2000,
      handlers: {
        bytes: (chunk) => deliver({ type: 'data', chunk }),
        end: () => deliver({ type: 'eof' }),
        error: (err: NodeJS.ErrnoException) => {
          // After the reply: a legacy B client that closed right after AgencyClose (EPIPE/ECONNRESET).
          if (session.finished) return ctx.log.debug('peer closed before reading the reply', { error: err.code ?? err.message });
          deliver({ type: 'sockerr', error: err.code ?? err.message });
        },
        closed: () => {
          open = false;
          deliver({ type: 'eof' });
        },
        idle: () => deliver({ type: 'idle' }),
        fault: (err) => ctx.fail(err as Error),
      },
    });

    /** Carries out what the session asked for, in order. */
    function run(fx: Effect[]): void {
      for (const e of fx) {
        switch (e.k) {
          case 'tp0':
            log[e.level](e.action, e.result, e.fields);
            break;
          case 'log':
            ctx.log[e.level](e.msg, e.fields);
            break;
          case 'write':
            for (const b of e.bufs) if (!conn.write(b) && conn.closed) break;
            break;
          case 'finish':
            ctx.timers.cancel('retry');
            // A peer that never reads must not keep the socket: destroyed 2 s after the end.
            conn.close();
            ctx.self.tell({ type: 'done', sid });
            break;
          case 'no-idle':
            conn.setIdleTimeout(0);
            break;
          case 'idle-on':
            conn.setIdleTimeout(props.idleTimeoutMs);
            break;
          case 'store': {
            // Same thread (one acceptor): the rows are handed over by reference; across threads
            // one JSON text clones far cheaper than 6 values per bet.
            const rows = storeLocal ? e.rows : JSON.stringify(e.rows);
            store.ask<StoreReply>({ t: 'store', agency: e.agency, rows, csv: e.csv, batchId: e.batchId }, { timeoutMs: 60_000 }).then(
              (reply) => deliver({ type: 'stored', reply }),
              (err) => deliver({ type: 'stored', reply: { ok: false, reason: (err as Error).message } }),
            );
            break;
          }
          case 'close-agency':
            store.ask({ t: 'close', agency: e.agency }, { timeoutMs: 60_000 }).then(
              () => deliver({ type: 'agency-closed' }),
              (err) => deliver({ type: 'agency-close-failed', error: (err as Error).message }),
            );
            break;
          case 'progress':
            store.ask<StoreProgress>({ t: 'progress', agency: e.agency }, { timeoutMs: 60_000 }).then(
              (progress) => deliver({ type: 'progress', progress }),
              (err) => deliver({ type: 'progress-failed', error: (err as Error).message }),
            );
            break;
          case 'winners':
            coordinator.ask<WinnersAnswer>({ type: 'winners', agency: e.agency, holdMs: e.holdMs }, { timeoutMs: e.timeoutMs }).then(
              (answer) => deliver({ type: 'winners', answer }),
              (err) => deliver({ type: 'winners-failed', error: (err as Error).message }),
            );
            break;
          case 'retry':
            ctx.timers.once('retry', e.ms, { type: 'retry', sid });
            break;
        }
      }
    }

    const opened = openSession(cfg, draining);
    session = opened.session;
    run(opened.effects);
    return {
      sid,
      event: deliver,
      stop(reason) {
        ctx.timers.cancel('retry');
        // A finished connection is ending gracefully (its reply may still be flushing): leave it.
        if (!socket.destroyed && !session.finished) {
          if (reason === 'shutdown' && open) log.info('close_connection', 'success', { reason: 'shutdown' });
          session.finished = true;
          conn.detach();
        }
        session.state = 'closed';
      },
      inspect() {
        return { state: session.state, protocol: session.protocol, pending: session.pending?.kind ?? null };
      },
    };
  }
});
