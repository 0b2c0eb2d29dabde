// One lottery connection as a pure state machine (lottery.md §2, §5, §6.3): `step(session,
// event)` changes only the session it is given and returns the effects to carry out (write these
// bytes, store this batch, ask for the winners, log this TP0 line, close). No socket, no timer, no
// actor: connection.ts is the thin adapter that turns socket reads and ask results into events and
// effects into I/O.
//
//   detecting ─┬─ echo ──────────────────────────────┐
//              └─ reading ─ awaiting.store|close|draw ─ closed
//
// The first byte picks protocol A or B (protocols/lottery/sniff.ts) unless the server runs in echo
// mode. Frames are decoded incrementally (short reads are fine) and validated; a batch is stored
// (durable) before its reply, and the contract line is logged before the reply is written.

import {
  A_REQUEST_HEADER,
  B_MAX_FRAME,
  aFrameCount,
  aRequestDecoder,
  bFrameCount,
  bFrameDecoder,
  bFrameType,
  decodeABetRows,
  decodeARequest,
  decodeB,
  encodeAAck,
  encodeALstReply,
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
import type { HeaderFrame } from '../../protocols/framing/fixed-header.ts';
import type { StoreReply } from './betstore.ts';
import type { WinnersAnswer } from './coordinator.ts';
import type { Effect, Fields, Pending, Session, SessionConfig, SessionEvent } from './session-types.ts';

export { DEFAULT_MAX_FRAME_BYTES } from './session-types.ts';
export type { Effect, ServerMode, Session, SessionConfig, SessionEvent } from './session-types.ts';

/** A wait for the draw that must never time out (a parked agency of protocol A). */
const NO_TIMEOUT = 2 ** 31 - 1;

export function openSession(cfg: SessionConfig, draining: boolean): { session: Session; effects: Effect[] } {
  const s: Session = { cfg, state: 'detecting', protocol: null, decoderA: null, decoderB: null, headA: Buffer.alloc(0), echoBuf: [], echoLen: 0, pending: null, finished: false, retries: 0, draining: false, keepAlive: false };
  const fx: Effect[] = [];
  if (draining) drainNow(s, fx);
  return { session: s, effects: fx };
}

/** One event through the lifecycle. */
export function step(s: Session, ev: SessionEvent): Effect[] {
  const fx: Effect[] = [];
  if (s.state === 'closed') return fx;
  switch (ev.type) {
    case 'drain':
      drainNow(s, fx);
      return fx;
    case 'stored':
      if (!s.finished && s.pending?.kind === 'store') onStored(s, s.pending, ev.reply, fx);
      return fx;
    case 'agency-closed':
      if (!s.finished && s.pending?.kind === 'close') onClosed(s, s.pending, fx);
      return fx;
    case 'agency-close-failed':
      if (s.pending?.kind === 'close') {
        fx.push(tp0('info', 'cierre_agencia', 'fail', { agencia: s.pending.agency }), log('warn', 'close failed', { agency: s.pending.agency, error: ev.error }));
      }
      if (!s.finished) finish(s, fx);
      return fx;
    case 'winners':
      if (!s.finished && s.pending?.kind === 'draw') onWinners(s, s.pending, ev.answer, fx);
      return fx;
    case 'progress':
      if (!s.finished && s.pending?.kind === 'progress') {
        fx.push(log('debug', 'resume query answered', { agency: s.pending.agency, ...ev.progress }));
        reply(s, [encodeALstReply(s.pending.agency, ev.progress.lastBatchId, ev.progress.rows)], fx);
      }
      return fx;
    case 'progress-failed':
      // No answer: the agency falls back to resending from its first batch (the store recognises those).
      if (!s.finished && s.pending?.kind === 'progress') {
        fx.push(log('warn', 'resume query failed', { agency: s.pending.agency, error: ev.error }));
        finish(s, fx);
      }
      return fx;
    case 'winners-failed':
      // The coordinator restarted (its thread died, or it crashed): ask again shortly.
      if (!s.finished && s.pending?.kind === 'draw') {
        fx.push(log('warn', 'winners request failed; retrying', { agency: s.pending.agency, error: ev.error }));
        fx.push({ k: 'retry', ms: Math.min(5000, 100 * 2 ** Math.min(s.retries++, 6)) });
      }
      return fx;
  }
  switch (s.state) {
    case 'detecting':
      if (ev.type === 'data') {
        if (s.cfg.mode === 'echo') {
          s.state = 'echo';
          echoFeed(s, ev.chunk, fx);
        } else {
          s.state = 'reading';
          detect(s, ev.chunk, fx);
          feed(s, ev.chunk, fx);
        }
      } else if (ev.type === 'eof' || ev.type === 'sockerr' || ev.type === 'idle') truncated(s, ev.type, fx);
      break;
    case 'echo':
      if (ev.type === 'data') echoFeed(s, ev.chunk, fx);
      else if (ev.type === 'eof') echoEof(s, fx);
      else if (ev.type === 'sockerr' || ev.type === 'idle') truncated(s, ev.type, fx);
      break;
    case 'reading':
      if (ev.type === 'data') feed(s, ev.chunk, fx);
      else if (ev.type === 'eof' || ev.type === 'sockerr' || ev.type === 'idle') truncated(s, ev.type, fx);
      break;
    case 'awaiting':
      // A kept-open connection carries one request at a time.
      if (ev.type === 'data' && s.keepAlive && !s.finished) protocolFailure(s, 'A', new ProtocolError('malformed', 'a request before the reply to the previous one'), fx);
      // The client left while its request was parked on the draw: nothing to answer.
      else if ((ev.type === 'eof' || ev.type === 'sockerr') && !s.finished && s.pending?.kind === 'draw') finish(s, fx);
      else if (ev.type === 'retry' && !s.finished && s.pending?.kind === 'draw') askWinners(s, s.pending, fx);
      break;
  }
  // A complete request moves the connection to `awaiting` (entry: start it).
  if (s.state === 'reading' && s.pending !== null) {
    s.state = 'awaiting';
    startPending(s, fx);
  }
  return fx;
}

// ---- effects -------------------------------------------------------------------------------------

const tp0 = (level: 'info' | 'debug', action: string, result: 'success' | 'fail', fields: Fields): Effect => ({ k: 'tp0', level, action, result, fields });
const log = (level: 'debug' | 'warn', msg: string, fields: Record<string, unknown>): Effect => ({ k: 'log', level, msg, fields });

function finish(s: Session, fx: Effect[]): void {
  s.finished = true;
  fx.push({ k: 'finish' });
}

function write(s: Session, bufs: Buffer[], fx: Effect[]): void {
  fx.push({ k: 'write', bufs });
  finish(s, fx);
}

/** A successful reply: the exchange is over, or (kept-open connection) the next request may come. */
function reply(s: Session, bufs: Buffer[], fx: Effect[]): void {
  if (!s.keepAlive) return write(s, bufs, fx);
  fx.push({ k: 'write', bufs }, { k: 'idle-on' });
  s.pending = null;
  s.state = 'reading';
  s.headA = Buffer.alloc(0);
}

function failBatch(s: Session, protocol: 'A' | 'B', count: number, why: string, fx: Effect[]): void {
  fx.push(tp0('info', 'apuesta_recibida', 'fail', { cantidad: count }), log('warn', 'batch rejected', { reason: why, protocol }));
  if (protocol === 'B') write(s, [encodeB({ type: 'StoreResponse', status: 1 })], fx);
  else finish(s, fx); // protocol A has no negative acknowledgement: close without an ACK
}

/**
 * Any failure of a protocol A request that is (or may be) a BET: §6.1 says no ACK and
 * `apuesta_recibida | result: fail` (a FIN's failure stays a protocol failure).
 */
function failA(s: Session, err: unknown, fx: Effect[]): void {
  const e = err instanceof ProtocolError ? err : new ProtocolError('malformed', String(err));
  if (s.headA[0] === 0x46 || s.headA[0] === 0x4c) return protocolFailure(s, s.headA[0] === 0x46 ? 'FIN' : 'LST', e, fx);
  const count = s.headA.length >= A_REQUEST_HEADER ? aFrameCount({ header: s.headA, body: s.headA.subarray(0, 0) }) : 0;
  if (e.code === 'frame-too-large') {
    fx.push(log('warn', 'frame over the cap; refused', { protocol: 'A', detail: e.detail, maxFrameBytes: s.cfg.maxFrameBytes }));
  }
  failBatch(s, 'A', count, `${e.code}: ${e.detail ?? e.message}`, fx);
}

function protocolFailure(s: Session, what: string, err: unknown, fx: Effect[]): void {
  const e = err instanceof ProtocolError ? err : new ProtocolError('malformed', String(err));
  fx.push(tp0('info', 'recibir_mensaje', 'fail', { error: e.code }), log('warn', 'protocol error', { what, code: e.code, detail: e.detail, offset: e.offset }));
  finish(s, fx);
}

// ---- requests ------------------------------------------------------------------------------------

/** Decoded bets as storage rows and bets.csv lines. */
function rowsOf(bets: readonly Bet[]): { rows: BetRow[]; csv: string } {
  const rows: BetRow[] = new Array(bets.length);
  let csv = '';
  for (let i = 0; i < rows.length; i++) {
    const r = toRow(bets[i]);
    rows[i] = r;
    csv += formatBetsCsvRow(r);
  }
  return { rows, csv };
}

function onFrameA(s: Session, f: HeaderFrame, fx: Effect[]): void {
  // The common shape straight from the bytes (protocols/lottery/a-rows.ts); anything else decoded in full.
  const fast = decodeABetRows(f);
  if (fast) {
    s.pending = { kind: 'store', protocol: 'A', agency: fast.agency, rows: fast.rows, csv: fast.csv, batchId: fast.batchId, single: s.cfg.mode === 'bet' && fast.rows.length === 1 };
    return;
  }
  let req;
  try {
    req = decodeARequest(f);
  } catch (err) {
    if (f.header[0] === 0x42) return failBatch(s, 'A', aFrameCount(f), (err as Error).message, fx);
    return protocolFailure(s, f.header[0] === 0x46 ? 'FIN' : 'LST', err, fx);
  }
  if (req.type === 'BET') {
    s.pending = { kind: 'store', protocol: 'A', agency: req.agency, ...rowsOf(req.bets), batchId: req.batchId, single: s.cfg.mode === 'bet' && req.bets.length === 1 };
  } else if (req.type === 'LST') {
    s.keepAlive = true;
    s.pending = { kind: 'progress', protocol: 'A', agency: req.agency };
  } else {
    s.pending = { kind: 'close', protocol: 'A', agency: req.agency };
  }
}

function onFrameB(s: Session, frame: Buffer, fx: Effect[]): void {
  let p;
  try {
    p = decodeB(frame);
  } catch (err) {
    const t = bFrameType(frame);
    if (t === 'StoreBatch' || t === 'StoreBet') return failBatch(s, 'B', bFrameCount(frame), (err as Error).message, fx);
    return protocolFailure(s, t ?? 'unknown', err, fx);
  }
  switch (p.type) {
    case 'StoreBet':
      s.pending = { kind: 'store', protocol: 'B', agency: p.bet.agency, ...rowsOf([p.bet]), batchId: 0, single: true };
      return;
    case 'StoreBatch':
      s.pending = { kind: 'store', protocol: 'B', agency: p.agency, ...rowsOf(p.bets), batchId: 0, single: false };
      return;
    case 'AgencyClose':
      s.pending = { kind: 'close', protocol: 'B', agency: p.agency };
      return;
    case 'WinnersRequest':
      s.pending = { kind: 'draw', protocol: 'B', agency: p.agency, hold: true };
      return;
    default:
      return protocolFailure(s, p.type, new ProtocolError('unknown-type', `a client may not send ${p.type}`), fx);
  }
}

function startPending(s: Session, fx: Effect[]): void {
  const p = s.pending!;
  fx.push({ k: 'no-idle' });
  if (p.kind === 'store') {
    if (p.agency > s.cfg.agencies) {
      s.pending = null;
      return failBatch(s, p.protocol, p.rows.length, `agency ${p.agency} is outside 1..${s.cfg.agencies}`, fx);
    }
    fx.push({ k: 'store', agency: p.agency, rows: p.rows, csv: p.csv, batchId: p.protocol === 'A' ? p.batchId : undefined });
  } else if (p.kind === 'close') {
    if (p.agency > s.cfg.agencies) {
      fx.push(tp0('info', 'cierre_agencia', 'fail', { agencia: p.agency }), log('warn', 'close for an unknown agency', { agency: p.agency, agencies: s.cfg.agencies }));
      return finish(s, fx);
    }
    fx.push({ k: 'close-agency', agency: p.agency });
  } else if (p.kind === 'progress') {
    if (p.agency > s.cfg.agencies) {
      fx.push(log('warn', 'resume query for an unknown agency', { agency: p.agency, agencies: s.cfg.agencies }));
      return finish(s, fx);
    }
    fx.push({ k: 'progress', agency: p.agency });
  } else {
    askWinners(s, p, fx);
  }
}

function onStored(s: Session, p: Extract<Pending, { kind: 'store' }>, r: StoreReply, fx: Effect[]): void {
  if (!r.ok) {
    s.pending = null;
    return failBatch(s, p.protocol, p.rows.length, r.reason, fx);
  }
  if (p.single) fx.push(tp0('info', 'apuesta_almacenada', 'success', { dni: p.rows[0][3], numero: p.rows[0][5] }));
  else fx.push(tp0('info', 'apuesta_recibida', 'success', { cantidad: p.rows.length }));
  reply(s, [p.protocol === 'A' ? encodeAAck(p.agency, p.batchId) : encodeB({ type: 'StoreResponse', status: 0 })], fx);
}

function onClosed(s: Session, p: Extract<Pending, { kind: 'close' }>, fx: Effect[]): void {
  fx.push(tp0('debug', 'cierre_agencia', 'success', { agencia: p.agency }));
  // Legacy B clients have already closed: EPIPE/ECONNRESET on this write is expected (DEBUG only).
  if (p.protocol === 'B') return write(s, [encodeB({ type: 'StoreResponse', status: 0 })], fx);
  if (s.draining) return finish(s, fx);
  const draw: Pending = { kind: 'draw', protocol: 'A', agency: p.agency, hold: false };
  s.pending = draw;
  askWinners(s, draw, fx);
}

function askWinners(s: Session, p: Extract<Pending, { kind: 'draw' }>, fx: Effect[]): void {
  if (p.agency > s.cfg.agencies) {
    fx.push(tp0('info', 'consulta_ganadores', 'fail', { agencia: p.agency }));
    return finish(s, fx);
  }
  const hold = s.cfg.winnersHoldMs;
  fx.push({ k: 'winners', agency: p.agency, holdMs: p.hold ? hold : undefined, timeoutMs: p.hold ? hold + 10_000 : NO_TIMEOUT });
}

function onWinners(s: Session, p: Extract<Pending, { kind: 'draw' }>, a: WinnersAnswer, fx: Effect[]): void {
  s.retries = 0;
  if (p.protocol === 'A') write(s, [encodeAWin(a.ready ? a.documents : [])], fx);
  else write(s, a.ready ? encodeBWinners(a.documents) : [encodeB({ type: 'NotReadyResponse' })], fx);
}

// ---- reading -------------------------------------------------------------------------------------

function detect(s: Session, chunk: Buffer, fx: Effect[]): void {
  if (chunk.length === 0) return;
  const p = sniff(chunk[0]);
  if (p === 'A') s.decoderA = aRequestDecoder(s.cfg.maxFrameBytes);
  else if (p === 'B') s.decoderB = bFrameDecoder(Math.min(s.cfg.maxFrameBytes, B_MAX_FRAME));
  else {
    fx.push(tp0('info', 'recibir_mensaje', 'fail', { error: 'unknown-protocol' }), log('warn', 'unknown protocol', { firstByte: chunk[0] }));
    return finish(s, fx);
  }
  s.protocol = p;
}

function feed(s: Session, chunk: Buffer, fx: Effect[]): void {
  if (s.finished || s.pending) return;
  if (s.decoderA) {
    if (s.headA.length < A_REQUEST_HEADER) s.headA = Buffer.concat([s.headA, chunk.subarray(0, A_REQUEST_HEADER - s.headA.length)]);
    const frames = s.decoderA.push(chunk);
    if (frames.length > 1 && s.keepAlive) return protocolFailure(s, 'A', new ProtocolError('malformed', 'a request before the reply to the previous one'), fx);
    if (frames.length > 0) return onFrameA(s, frames[0], fx);
    if (s.decoderA.error) return failA(s, s.decoderA.error, fx);
  } else if (s.decoderB) {
    const frames = s.decoderB.push(chunk);
    if (frames.length > 0) return onFrameB(s, frames[0], fx);
    if (s.decoderB.error) {
      if (s.decoderB.error.code === 'frame-too-large') {
        fx.push(log('warn', 'frame over the cap; refused', { protocol: 'B', detail: s.decoderB.error.detail, maxFrameBytes: Math.min(s.cfg.maxFrameBytes, B_MAX_FRAME) }));
      }
      return protocolFailure(s, 'B', s.decoderB.error, fx);
    }
  }
}

function echoFeed(s: Session, chunk: Buffer, fx: Effect[]): void {
  if (s.finished) return;
  s.protocol = 'echo';
  const nl = chunk.indexOf(0x0a);
  if (nl < 0) {
    s.echoBuf.push(chunk);
    s.echoLen += chunk.length;
    if (s.echoLen > 65536) protocolFailure(s, 'echo', new ProtocolError('frame-too-large', 'echo line over 64 KiB'), fx);
    return;
  }
  s.echoBuf.push(chunk.subarray(0, nl + 1));
  const line = Buffer.concat(s.echoBuf);
  s.echoBuf = [];
  fx.push(tp0('debug', 'echo', 'success', { bytes: line.length }));
  write(s, [line], fx);
}

function echoEof(s: Session, fx: Effect[]): void {
  if (s.finished) return;
  if (s.echoLen > 0) write(s, [Buffer.concat(s.echoBuf)], fx);
  else finish(s, fx);
}

function truncated(s: Session, why: 'eof' | 'sockerr' | 'idle', fx: Effect[]): void {
  if (s.finished) return;
  const d = s.decoderA ?? s.decoderB;
  if ((d?.buffered ?? 0) === 0 && (why === 'eof' || why === 'sockerr')) {
    // The peer went away between requests (or never sent one): nothing to report.
    fx.push(log('debug', 'peer closed', { event: why }));
    return finish(s, fx);
  }
  if (why === 'idle') {
    if (s.decoderA !== null) return failA(s, new ProtocolError('truncated', 'idle timeout mid-request'), fx);
    fx.push(tp0('info', 'recibir_mensaje', 'fail', { error: 'idle-timeout' }));
    return finish(s, fx);
  }
  const err = d?.end() ?? new ProtocolError('truncated', 'connection closed mid-request');
  if (s.decoderA !== null) return failA(s, err, fx);
  protocolFailure(s, 'stream', err, fx);
}

function drainNow(s: Session, fx: Effect[]): void {
  s.draining = true;
  if (s.finished) return;
  // A store exchange in flight is finished (its reply follows the commit); anything else (idle,
  // reading, parked on the draw) is cut now: by our shutdown, so not a failure.
  if (s.pending?.kind === 'store' || s.pending?.kind === 'close') return;
  fx.push(tp0('info', 'close_connection', 'success', { reason: 'shutdown' }));
  finish(s, fx);
}
