// Connection (lottery.md §2, §6.3): one actor per TCP connection, on its Acceptor's thread (a
// socket cannot move between threads). A small hand-written state machine (it was xstate; one
// xstate actor per connection cost more than the exchange itself):
//
//   detecting ─┬─ echo ──────────────────────────────┐
//              └─ reading ─ awaiting.store|close|draw ─ replying ─ closed (final: the actor stops)
//
// The first byte picks protocol A or B (protocols/lottery/sniff.ts) unless the server runs in echo
// mode. Frames are decoded incrementally (short reads are fine), validated (§5), stored through the
// BetStore (durable before the reply), and the contract line is logged before the reply is sent.
// Reads time out after idleTimeoutMs, except while parked on the draw.

import type { Socket } from 'node:net';
import { defineActor, type StopReason } from '../../runtime/index.ts';
import { StreamConnection, takeHandle, type HandleToken } from '../../runtime/io/index.ts';
import {
  aFrameCount,
  aRequestDecoder,
  bFrameCount,
  bFrameDecoder,
  bFrameType,
  decodeARequest,
  decodeB,
  encodeAAck,
  encodeAWin,
  encodeB,
  encodeBWinners,
  formatBetsCsvRow,
  sniff,
  toRow,
  type Bet,
  type BetRow,
} from '../../protocols/lottery/index.ts';
import { ProtocolError } from '../../protocols/errors.ts';
import type { FixedHeaderDecoder, HeaderFrame } from '../../protocols/framing/fixed-header.ts';
import type { Length16Decoder } from '../../protocols/framing/length16.ts';
import { Tp0Log } from './tp0log.ts';
import type { BetStoreMsg, StoreReply } from './betstore.ts';
import type { CoordinatorMsg, WinnersAnswer } from './coordinator.ts';

export type ServerMode = 'lottery' | 'echo' | 'bet';

export interface ConnectionProps {
  mode: ServerMode;
  agencies: number;
  idleTimeoutMs: number;
  winnersHoldMs: number;
  maxBodyA: number;
  loggingLevel: string;
  source?: string;
  store: { path: string; thread: number };
  coordinator: { path: string; thread: number };
}

export type ConnectionMsg =
  /** From the Acceptor: serve this socket (one at a time; the actor is reused afterwards). */
  | { type: 'socket'; token: HandleToken }
  | { type: 'data'; sid: number; chunk: Buffer }
  | { type: 'eof'; sid: number }
  | { type: 'sockerr'; sid: number; error: string }
  | { type: 'idle'; sid: number }
  | { type: 'done'; sid: number }
  | { type: 'retry'; sid: number }
  /** From the Acceptor on shutdown: finish a store exchange in flight, close anything else now. */
  | { type: 'drain' };

/** Told to the Acceptor when a connection is over and this actor can serve another socket. */
export type ConnectionReleased = { t: 'released' };

const NO_TIMEOUT = 2 ** 31 - 1;

type Pending =
  | { kind: 'store'; protocol: 'A' | 'B'; agency: number; bets: Bet[]; batchId: number; single: boolean }
  | { kind: 'close'; protocol: 'A' | 'B'; agency: number }
  | { kind: 'draw'; protocol: 'A' | 'B'; agency: number; hold: boolean };


/** Where a connection is in its lifecycle (see the diagram at the top). */
type ConnState = 'detecting' | 'echo' | 'reading' | 'awaiting' | 'closed';

interface Session {
  sid: number;
  receive(msg: ConnectionMsg): void;
  stop(reason: StopReason): void;
  inspect(): unknown;
}

// Not defineMachineActor: the connection needs a stop hook (destroy the socket, log the closure
// on shutdown), which the kernel's adapter does not expose, and it runs one machine per socket:
// the actor is pooled by its Acceptor and serves one connection at a time, so accepting a
// connection costs no actor creation (and no spawn/stop events crossing threads).
export const Connection = defineActor<ConnectionMsg, ConnectionProps>(import.meta.url, 'Connection', (props, ctx) => {
  const log = new Tp0Log({ level: props.loggingLevel, source: props.source });
  const store = ctx.refFor<BetStoreMsg>(props.store.path, props.store.thread);
  const coordinator = ctx.refFor<CoordinatorMsg>(props.coordinator.path, props.coordinator.thread);
  const storeLocal = props.store.thread === ctx.thread;
  let current: Session | null = null;
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
      if (msg.type === 'socket') {
        if (current) current.stop('normal');
        current = openSession(msg.token);
        return;
      }
      if (msg.type === 'drain') {
        draining = true;
        current?.receive(msg);
        return;
      }
      if (current && msg.sid === current.sid) current.receive(msg);
    },
    stopped(_c, reason) {
      current?.stop(reason);
      current = null;
    },
    inspect() {
      return { sessions, current: current?.inspect() ?? null };
    },
  };

  function openSession(token: HandleToken): Session | null {
    const socket = takeHandle<Socket>(token);
    if (!socket) {
      released();
      return null;
    }
    sessions++;
    return session(socket, sessions);
  }

  function session(socket: Socket, sid: number): Session {
    let decoderA: FixedHeaderDecoder | null = null;
    let decoderB: Length16Decoder | null = null;
    let echoBuf: Buffer[] = [];
    let echoLen = 0;
    let pending: Pending | null = null;
    let open = !socket.destroyed;
    const conn: StreamConnection = new StreamConnection(socket, {
      idleTimeoutMs: props.idleTimeoutMs,
      closeGraceMs: 2000,
      handlers: {
        bytes: (chunk) => send({ type: 'data', sid, chunk }),
        end: () => send({ type: 'eof', sid }),
        error: (err: NodeJS.ErrnoException) => {
          // After the reply: a legacy B client that closed right after AgencyClose (EPIPE/ECONNRESET).
          if (finished) return ctx.log.debug('peer closed before reading the reply', { error: err.code ?? err.message });
          send({ type: 'sockerr', sid, error: err.code ?? err.message });
        },
        closed: () => {
          open = false;
          send({ type: 'eof', sid });
        },
        idle: () => send({ type: 'idle', sid }),
      },
    });
    let retries = 0;
    let finished = false;
    let protocol: 'A' | 'B' | 'echo' | null = null;

    const send = (ev: ConnectionMsg): void => {
      if (!finished) ctx.self.tell(ev);
    };

    socket.setNoDelay(true);

    // ---- helpers -------------------------------------------------------------------------

    function finish(): void {
      finished = true;
      ctx.timers.cancel('retry');
      // A peer that never reads must not keep the socket: destroyed 2 s after the end.
      conn.close();
      ctx.self.tell({ type: 'done', sid });
    }

    function write(bufs: Buffer[]): void {
      for (const b of bufs) if (!conn.write(b) && conn.closed) break;
      finish();
    }

    function failBatch(protocol: 'A' | 'B', count: number, why: string): void {
      log.info('apuesta_recibida', 'fail', { cantidad: count });
      ctx.log.warn('batch rejected', { reason: why, protocol });
      if (protocol === 'B') write([encodeB({ type: 'StoreResponse', status: 1 })]);
      else finish(); // protocol A has no negative acknowledgement: close without an ACK
    }

    function protocolFailure(what: string, err: unknown): void {
      const e = err instanceof ProtocolError ? err : new ProtocolError('malformed', String(err));
      log.info('recibir_mensaje', 'fail', { error: e.code });
      ctx.log.warn('protocol error', { what, code: e.code, detail: e.detail, offset: e.offset });
      finish();
    }

    /** Handles one complete request. Returns the next machine state. */
    function onFrameA(f: HeaderFrame): void {
      let req;
      try {
        req = decodeARequest(f);
      } catch (err) {
        if (f.header[0] === 0x42) return failBatch('A', aFrameCount(f), (err as Error).message);
        return protocolFailure('FIN', err);
      }
      if (req.type === 'BET') {
        pending = { kind: 'store', protocol: 'A', agency: req.agency, bets: req.bets, batchId: req.batchId, single: props.mode === 'bet' && req.bets.length === 1 };
      } else {
        pending = { kind: 'close', protocol: 'A', agency: req.agency };
      }
    }

    function onFrameB(frame: Buffer): void {
      let p;
      try {
        p = decodeB(frame);
      } catch (err) {
        const t = bFrameType(frame);
        if (t === 'StoreBatch' || t === 'StoreBet') return failBatch('B', bFrameCount(frame), (err as Error).message);
        return protocolFailure(t ?? 'unknown', err);
      }
      switch (p.type) {
        case 'StoreBet':
          pending = { kind: 'store', protocol: 'B', agency: p.bet.agency, bets: [p.bet], batchId: 0, single: true };
          return;
        case 'StoreBatch':
          pending = { kind: 'store', protocol: 'B', agency: p.agency, bets: p.bets, batchId: 0, single: false };
          return;
        case 'AgencyClose':
          pending = { kind: 'close', protocol: 'B', agency: p.agency };
          return;
        case 'WinnersRequest':
          pending = { kind: 'draw', protocol: 'B', agency: p.agency, hold: true };
          return;
        default:
          return protocolFailure(p.type, new ProtocolError('unknown-type', `a client may not send ${p.type}`));
      }
    }

    function startPending(): void {
      const p = pending!;
      conn.setIdleTimeout(0); // no idle timeout while the server works or the request is parked
      if (p.kind === 'store') {
        if (p.agency > props.agencies) {
          pending = null;
          return failBatch(p.protocol, p.bets.length, `agency ${p.agency} is outside 1..${props.agencies}`);
        }
        const rows: BetRow[] = new Array(p.bets.length);
        let csv = '';
        for (let i = 0; i < rows.length; i++) {
          const r = toRow(p.bets[i]);
          rows[i] = r;
          csv += formatBetsCsvRow(r);
        }
        // Same thread (one acceptor): the array is handed over by reference; across threads one
        // JSON text clones far cheaper than 6 values per bet.
        const packed = storeLocal ? rows : JSON.stringify(rows);
        store.ask<StoreReply>({ t: 'store', agency: p.agency, rows: packed, csv, batchId: p.protocol === 'A' ? p.batchId : undefined }, { timeoutMs: 60_000 }).then(
          (r) => onStored(p, r),
          (err) => onStored(p, { ok: false, reason: (err as Error).message }),
        );
      } else if (p.kind === 'close') {
        if (p.agency > props.agencies) {
          log.info('cierre_agencia', 'fail', { agencia: p.agency });
          ctx.log.warn('close for an unknown agency', { agency: p.agency, agencies: props.agencies });
          return finish();
        }
        store.ask({ t: 'close', agency: p.agency }, { timeoutMs: 60_000 }).then(
          () => onClosed(p),
          (err) => {
            log.info('cierre_agencia', 'fail', { agencia: p.agency });
            ctx.log.warn('close failed', { agency: p.agency, error: (err as Error).message });
            if (!finished) finish();
          },
        );
      } else {
        askWinners(p);
      }
    }

    function onStored(p: Extract<Pending, { kind: 'store' }>, r: StoreReply): void {
      if (finished) return;
      if (!r.ok) {
        pending = null;
        return failBatch(p.protocol, p.bets.length, r.reason);
      }
      if (p.single) {
        const b = p.bets[0];
        log.info('apuesta_almacenada', 'success', { dni: b.document, numero: b.number });
      } else {
        log.info('apuesta_recibida', 'success', { cantidad: p.bets.length });
      }
      write([p.protocol === 'A' ? encodeAAck(p.agency, p.batchId) : encodeB({ type: 'StoreResponse', status: 0 })]);
    }

    function onClosed(p: Extract<Pending, { kind: 'close' }>): void {
      if (finished) return;
      log.debug('cierre_agencia', 'success', { agencia: p.agency });
      if (p.protocol === 'B') {
        // Legacy clients have already closed: EPIPE/ECONNRESET here is expected (DEBUG only).
        write([encodeB({ type: 'StoreResponse', status: 0 })]);
        return;
      }
      if (draining) return finish();
      pending = { kind: 'draw', protocol: 'A', agency: p.agency, hold: false };
      askWinners(pending);
    }

    function askWinners(p: Extract<Pending, { kind: 'draw' }>): void {
      if (p.agency > props.agencies) {
        log.info('consulta_ganadores', 'fail', { agencia: p.agency });
        return finish();
      }
      const holdMs = p.hold ? props.winnersHoldMs : undefined;
      coordinator.ask<WinnersAnswer>({ type: 'winners', agency: p.agency, holdMs }, { timeoutMs: p.hold ? props.winnersHoldMs + 10_000 : NO_TIMEOUT }).then(
        (a) => {
          if (finished) return;
          retries = 0;
          if (p.protocol === 'A') {
            write([encodeAWin(a.ready ? a.documents : [])]);
          } else {
            write(a.ready ? encodeBWinners(a.documents) : [encodeB({ type: 'NotReadyResponse' })]);
          }
        },
        (err) => {
          // The coordinator restarted (its thread died, or it crashed): ask again shortly.
          if (finished) return;
          ctx.log.warn('winners request failed; retrying', { agency: p.agency, error: (err as Error).message });
          ctx.timers.once('retry', Math.min(5000, 100 * 2 ** Math.min(retries++, 6)), { type: 'retry', sid });
        },
      );
    }

    // ---- the lifecycle: a hand-written state machine (see the diagram at the top) --------------

    const h = {
      detect(event: ConnectionMsg): void {
        if (event.type !== 'data' || event.chunk.length === 0) return;
        const s = sniff(event.chunk[0]);
        if (s === 'A') decoderA = aRequestDecoder(props.maxBodyA);
        else if (s === 'B') decoderB = bFrameDecoder();
        else {
          log.info('recibir_mensaje', 'fail', { error: 'unknown-protocol' });
          ctx.log.warn('unknown protocol', { firstByte: event.chunk[0] });
          finish();
          return;
        }
        protocol = s;
      },
      feed(event: ConnectionMsg): void {
        if (event.type !== 'data' || finished || pending) return;
        if (decoderA) {
          const frames = decoderA.push(event.chunk);
          if (frames.length > 0) return onFrameA(frames[0]);
          if (decoderA.error) return protocolFailure('A', decoderA.error);
        } else if (decoderB) {
          const frames = decoderB.push(event.chunk);
          if (frames.length > 0) return onFrameB(frames[0]);
          if (decoderB.error) return protocolFailure('B', decoderB.error);
        }
      },
      echoFeed(event: ConnectionMsg): void {
        if (event.type !== 'data' || finished) return;
        protocol = 'echo';
        const nl = event.chunk.indexOf(0x0a);
        if (nl < 0) {
          echoBuf.push(event.chunk);
          echoLen += event.chunk.length;
          if (echoLen > 65536) protocolFailure('echo', new ProtocolError('frame-too-large', 'echo line over 64 KiB'));
          return;
        }
        echoBuf.push(event.chunk.subarray(0, nl + 1));
        const line = Buffer.concat(echoBuf);
        echoBuf = [];
        log.debug('echo', 'success', { bytes: line.length });
        write([line]);
      },
      echoEof(): void {
        if (finished) return;
        if (echoLen > 0) write([Buffer.concat(echoBuf)]);
        else finish();
      },
      truncated(event: ConnectionMsg): void {
        if (finished) return;
        const d = decoderA ?? decoderB;
        const buffered = d?.buffered ?? 0;
        if (buffered === 0 && (event.type === 'eof' || event.type === 'sockerr')) {
          // The peer went away between requests (or never sent one): nothing to report.
          ctx.log.debug('peer closed', { event: event.type });
          return finish();
        }
        if (event.type === 'idle') {
          log.info('recibir_mensaje', 'fail', { error: 'idle-timeout' });
          return finish();
        }
        protocolFailure('stream', d?.end() ?? new ProtocolError('truncated', 'connection closed mid-request'));
      },
      peerGone(): void {
        // The client left while its request was parked on the draw: nothing to answer.
        if (!finished && pending?.kind === 'draw') finish();
      },
      drainNow(): void {
        draining = true;
        if (finished) return;
        // A store exchange in flight is finished (its reply follows the commit); anything else
        // (idle, reading, parked on the draw) is cut now: by our shutdown, so not a failure.
        if (pending?.kind === 'store' || pending?.kind === 'close') return;
        log.info('close_connection', 'success', { reason: 'shutdown' });
        finish();
      },
      retryWinners(): void {
        if (!finished && pending?.kind === 'draw') askWinners(pending);
      },
    };

    let state: ConnState = 'detecting';

    /** One event through the lifecycle; `drain` and `done` apply in every state. */
    function step(ev: ConnectionMsg): void {
      if (state === 'closed') return;
      if (ev.type === 'drain') return h.drainNow();
      if (ev.type === 'done') {
        state = 'closed';
        if (current?.sid === sid) released();
        return;
      }
      switch (state) {
        case 'detecting':
          if (ev.type === 'data') {
            if (props.mode === 'echo') {
              state = 'echo';
              h.echoFeed(ev);
            } else {
              state = 'reading';
              h.detect(ev);
              h.feed(ev);
            }
          } else if (ev.type === 'eof' || ev.type === 'sockerr' || ev.type === 'idle') h.truncated(ev);
          break;
        case 'echo':
          if (ev.type === 'data') h.echoFeed(ev);
          else if (ev.type === 'eof') h.echoEof();
          else if (ev.type === 'sockerr' || ev.type === 'idle') h.truncated(ev);
          break;
        case 'reading':
          if (ev.type === 'data') h.feed(ev);
          else if (ev.type === 'eof' || ev.type === 'sockerr' || ev.type === 'idle') h.truncated(ev);
          break;
        case 'awaiting':
          if (ev.type === 'eof' || ev.type === 'sockerr') h.peerGone();
          else if (ev.type === 'retry') h.retryWinners();
          break;
      }
      // A complete request moves the connection to `awaiting` (entry: start it).
      if (state === 'reading' && pending !== null) {
        state = 'awaiting';
        startPending();
      }
    }

    if (draining) h.drainNow();
    return {
      sid,
      receive(msg) {
        try {
          step(msg);
        } catch (err) {
          ctx.fail(err as Error);
        }
      },
      stop(reason) {
        state = 'closed';
        ctx.timers.cancel('retry');
        // A finished connection is ending gracefully (its reply may still be flushing): leave it.
        if (!socket.destroyed && !finished) {
          if (reason === 'shutdown' && open) log.info('close_connection', 'success', { reason: 'shutdown' });
          finished = true;
          conn.detach();
        }
      },
      inspect() {
        return { state, protocol, pending: pending?.kind ?? null };
      },
    };
  }
});
