// AgencyClient (lottery.md §2, §3): one lottery agency: the steps its lifecycle (agency-machine.ts)
// runs. Batches come from a BetReader child; replies are awaited before the next request. Over
// protocol A it first asks our server what it already holds (LST) and resumes after it, on a
// connection the server keeps open (link.ts); otherwise each request uses a fresh connection.
// While a batch waits for its ACK, the agency already holds the next batch (asked of the reader),
// so reading and parsing the file are not on the path between two round trips. A `held` agency
// (`lottery run`'s, spawned while the server starts) reads its first batch at once and starts at
// the go, which brings its settings with the server's port.

import { createActor } from 'xstate';
import type { ActorRef } from '../../runtime/actor/types.ts';
import { defineActor } from '../../runtime/actor/behavior.ts'; // not runtime/index.ts: agency start-up
import {
  encodeABet,
  encodeALstQuery,
  encodeB,
  makeBet,
  parseAgency,
  setABatchId,
  type Bet,
} from '../../protocols/lottery/index.ts';
import type { ClientSettings } from './config.ts';
import { exchange, type ExchangeHandle, type ExchangeReply } from './exchange.ts';
import { Link } from './link.ts';
import { Attempts } from './attempts.ts';
import { closeAndWinners } from './agency-ending.ts';
import { BetReader, type BatchOut, type ReaderMsg } from './reader.ts';
import { Tp0Log } from './tp0log.ts';
import { agencyMachine, type AgencyMsg } from './agency-machine.ts';

export type { AgencyMsg } from './agency-machine.ts';

export type AgencyNotice =
  | { t: 'progress'; id: number; bytes: number; total: number; bets: number }
  | { t: 'agency-done'; id: number; code: number; winners: number | null };

/** Starts a held agency: its settings, now with the server's address. */
export interface AgencyGo {
  type: 'go';
  settings: ClientSettings;
}

export interface AgencyProps {
  /** A held agency's address is not used before the go replaces these. */
  settings: ClientSettings;
  /** Wait for the go (AgencyGo), the first batch read meanwhile. */
  held?: boolean;
  /** Told about progress and the outcome. */
  notify?: { path: string; thread: number };
  /** false: `notify` shows no progress, so none is told (one message less per batch). */
  progress?: boolean;
}

const POLL_MAX_MS = 10_000;

/** A protocol A BET for this batch id: the reader's packet (built from the file's bytes), or encoded from its bets. */
function aPacket(batch: BatchOut, id: number): Buffer {
  return batch.packet ? setABatchId(batch.packet, id) : encodeABet(batch.bets, id, batch.firstBetId);
}

export const AgencyClient = defineActor<AgencyMsg | AgencyGo, AgencyProps>(import.meta.url, 'AgencyClient', (props, ctx) => {
  let s = props.settings;
  let held = props.held === true;
  /** Messages that came while held, sent to the machine once it starts. */
  const early: AgencyMsg[] = [];
  /** The reader's first batch was asked for before the go (a resume that skips rows needs a fresh reader). */
  let prefetched = false;
  let readers = 0;
  const log = new Tp0Log({ level: s.logLevel, source: s.source });
  const notify = props.notify ? ctx.refFor<AgencyNotice>(props.notify.path, props.notify.thread) : null;
  let reader: ActorRef<ReaderMsg> | null = null;
  let stopping = false;
  let echoN = 0;
  let pollDelay = 50;
  let betsAcked = 0;
  let batchId = 0;
  let winners: number | null = null;
  let outcome: number | null = null;
  let cutConnection = false;
  let fileOpened = false;
  /** The next batch, asked of the reader while the current one is on the wire. */
  let nextBatch: Promise<BatchOut | null> | null = null;
  const post = (ev: AgencyMsg): void => {
    ctx.self.tell(ev);
  };

  const attempts = new Attempts({
    connectRetryMs: s.connectRetryMs,
    stopping: () => stopping,
    halt: () => post({ type: 'halt' }),
    failed: (action, error) => post({ type: 'failed', action, error }),
    debug: (msg, fields) => ctx.log.debug(msg, fields),
  });
  const attempt = attempts.run.bind(attempts);

  function unexpected(action: string, r: ExchangeReply): void {
    const what = r.kind === 'B' ? r.packet.type : r.kind === 'A' ? r.reply.type : r.kind;
    post({ type: 'failed', action, error: `unexpected reply ${what}` });
  }

  // ---- steps ---------------------------------------------------------------------------------

  /**
   * Protocol A: before its first batch the agency asks the server what it already holds of it
   * (LST, our extension) and starts after that, so a restarted agency sends no committed batch
   * again. A legacy server does not know LST (it drops the connection): then the agency starts from
   * its first batch, and our server would still recognise the resends.
   */
  let resumed = false;
  /** The kept-open connection our server grants after LST (link.ts); null: one connection per message. */
  let link: Link | null = null;
  const dropLink = (): void => {
    link?.close();
    link = null;
  };
  /** A protocol A request over the kept-open connection while it lasts, else over a fresh one. */
  const requestA = (bytes: Buffer, timeoutMs?: number): ExchangeHandle => {
    if (link?.alive) {
      const h = link.request(bytes, { timeoutMs });
      h.promise.catch(() => dropLink()); // after any failure: one connection per message from now on
      return h;
    }
    dropLink();
    return exchange(s.host, s.port, bytes, 'A', { timeoutMs });
  };
  function resume(): void {
    const from = (p: { lastBatchId: number; rows: number } | null, why: string): void => {
      resumed = true;
      if (p === null || p.rows === 0) {
        if (p === null) ctx.log.debug('no resume point; starting from the first batch', { agency: s.id, why });
        if (p) batchId = p.lastBatchId;
        return sendNext();
      }
      batchId = p.lastBatchId;
      betsAcked = p.rows;
      if (prefetched) {
        // The batch read ahead is one the server holds: a reader from the file's start skips them.
        nextBatch = null;
        prefetched = false;
        ctx.stop(reader!);
        reader = spawnReader();
      }
      ctx.log.info('resuming after the bets the server already holds', { agency: s.id, rows: p.rows, lastBatchId: p.lastBatchId });
      reader!.ask<number>({ t: 'skip', rows: p.rows }, { timeoutMs: 60_000 }).then(
        () => sendNext(),
        (err) => post({ type: 'failed', action: 'leer_apuestas', error: (err as Error).message }),
      );
    };
    attempt(
      'consulta_progreso',
      () => {
        link = new Link(s.host, s.port);
        return link.request(encodeALstQuery(s.id), { timeoutMs: 10_000 });
      },
      (r) => {
        if (r.kind === 'A' && r.reply.type === 'LST' && r.reply.agency === s.id) return from(r.reply, 'answered');
        dropLink();
        from(null, 'unexpected reply');
      },
      false,
      (err) => {
        dropLink();
        if (err.connectFailed) return false; // not up yet: retried like any request
        from(null, err.message);
        return true;
      },
    );
  }

  function sendNext(): void {
    if (stopping) return post({ type: 'halt' });
    if (!resumed && s.protocol === 'A') return resume();
    const asked = nextBatch ?? reader!.ask<BatchOut | null>({ t: 'next' }, { timeoutMs: 60_000 });
    nextBatch = null;
    asked.then(
      (batch) => {
        fileOpened = true;
        if (batch === null) return post({ type: 'eof' });
        if (stopping) return post({ type: 'halt' });
        const id = ++batchId;
        const packet =
          s.protocol === 'A' ? aPacket(batch, id) : encodeB({ type: 'StoreBatch', agency: s.id, bets: batch.bets });
        attempt(
          'apuesta_enviada',
          () => {
            const h = s.protocol === 'A' ? requestA(packet, 60_000) : exchange(s.host, s.port, packet, s.protocol, { timeoutMs: 60_000 });
            // Ready the next batch while this one is on the wire (kept across a retry).
            if (nextBatch === null) {
              nextBatch = reader!.ask<BatchOut | null>({ t: 'next' }, { timeoutMs: 60_000 });
              nextBatch.catch(() => {}); // handled when it is used; unused (a failure ended the agency) it must not crash
            }
            return h;
          },
          (r) => {
            const ok =
              (r.kind === 'A' && r.reply.type === 'ACK' && r.reply.agency === s.id && r.reply.batchId === id) ||
              (r.kind === 'B' && r.packet.type === 'StoreResponse' && r.packet.status === 0);
            if (!ok) {
              log.info('apuesta_enviada', 'fail', { cantidad: batch.count });
              return unexpected('apuesta_enviada', r);
            }
            acked(batch);
            if (actor.getSnapshot().value === 'sending') sendNext(); // else the machine has left the loop (stopped, failed)
          },
        );
      },
      (err) => post({ type: 'failed', action: 'leer_apuestas', error: (err as Error).message }),
    );
  }

  function spawnReader(): ActorRef<ReaderMsg> {
    return ctx.spawn(BetReader, {
      name: readers++ === 0 ? 'reader' : `reader-${readers}`,
      props: { file: s.file, agency: s.id, protocol: s.protocol, maxAmount: s.maxAmount, loggingLevel: s.logLevel, source: s.source },
    });
  }

  /** A batch was acknowledged (the batch loop of `sending`: the next is sent right after). */
  function acked(batch: BatchOut): void {
    betsAcked += batch.count;
    log.debug('batch_enviado', 'success', { cantidad: batch.count });
    if (props.progress !== false) notify?.tell({ t: 'progress', id: s.id, bytes: batch.bytesRead, total: batch.totalBytes, bets: betsAcked });
  }

  function sendSingle(): void {
    let bet: Bet;
    try {
      const b = s.bet!;
      bet = makeBet(parseAgency(String(s.id)), b.nombre, b.apellido, b.documento, b.nacimiento, b.numero);
    } catch (err) {
      return post({ type: 'failed', action: 'apuesta_enviada', error: (err as Error).message });
    }
    const packet = s.protocol === 'A' ? encodeABet([bet], 1, 1) : encodeB({ type: 'StoreBet', bet });
    attempt(
      'apuesta_enviada',
      () => exchange(s.host, s.port, packet, s.protocol, { timeoutMs: 60_000 }),
      (r) => {
        const ok = (r.kind === 'A' && r.reply.type === 'ACK') || (r.kind === 'B' && r.packet.type === 'StoreResponse' && r.packet.status === 0);
        if (!ok) return unexpected('apuesta_enviada', r);
        log.info('apuesta_enviada', 'success', { dni: bet.document, numero: bet.number });
        post({ type: 'sent' });
      },
    );
  }

  function echoStep(): void {
    if (stopping) return post({ type: 'halt' });
    echoN++;
    const msg = `[CLIENT ${s.id}] Message N°${echoN}\n`;
    attempt(
      'receive_message',
      () => exchange(s.host, s.port, Buffer.from(msg, 'utf8'), 'line', { timeoutMs: 30_000 }),
      (r) => (r.kind === 'line' ? post({ type: 'echoed', line: r.line }) : unexpected('receive_message', r)),
    );
  }

  const ending = closeAndWinners({
    settings: () => s,
    attempt,
    requestA,
    post,
    unexpected,
    debug: (msg, fields) => ctx.log.debug(msg, fields),
  });

  // ---- the machine -----------------------------------------------------------------------------

  const machine = agencyMachine({
    echoMode: () => s.mode === 'echo',
    betMode: () => s.mode === 'bet',
    moreEcho: () => echoN < s.loopAmount && !stopping,
    logConfig: () => {
      log.line('INFO', 'config', 'success', { client_id: s.id }, {
        server_address: s.serverAddress,
        loop_amount: String(s.loopAmount),
        loop_period: s.loopPeriod,
        log_level: s.logLevel,
      });
    },
    openReader: () => {
      reader ??= spawnReader();
    },
    sendNext: () => sendNext(),
    closeFile: () => {
      reader?.tell({ t: 'close' });
    },
    sendSingle: () => sendSingle(),
    sendClose: () => ending.sendClose(),
    askWinners: () => ending.askWinners(),
    schedulePoll: () => {
      ctx.timers.once('poll', pollDelay, { type: 'tick' });
      pollDelay = Math.min(pollDelay * 2, POLL_MAX_MS);
    },
    echoStep: () => echoStep(),
    echoed: (event) => {
      log.info('receive_message', 'success', { client_id: s.id, msg: event.line });
    },
    echoWait: () => ctx.timers.once('tick', s.loopPeriodMs, { type: 'tick' }),
    echoFinished: () => log.info('loop_finished', 'success', { client_id: s.id }),
    gotWinners: (event) => {
      winners = event.documents.length;
      log.info('consulta_ganadores', 'success', { cant_ganadores: winners });
    },
    terminate: () => {
      stopping = true;
      ctx.timers.cancel('tick');
      ctx.timers.cancel('poll');
      attempts.cancelRetry();
      const inflight = attempts.inflight;
      if (inflight && attempts.parked) {
        // Parked on the draw: there is no exchange to finish; cut it.
        cutConnection = true;
        inflight.cancel();
      } else if (!inflight) {
        post({ type: 'halt' });
      }
      // Otherwise the exchange in flight finishes first, then the next step sees `stopping`.
    },
    fail: (event) => {
      log.info(event.action, 'fail', { client_id: s.id, error: event.error.replace(/[^A-Za-z0-9_. -]/g, '_').slice(0, 80) });
      outcome = 1;
    },
    finishOk: () => {
      outcome = 0;
    },
    shutdown: () => {
      if (cutConnection) log.info('close_connection', 'success', { client_id: s.id });
      if (fileOpened || reader) log.info('close_file', 'success', { client_id: s.id });
      log.info('shutdown', 'success', { client_id: s.id });
      outcome = 0;
    },
    });

  const actor = createActor(machine);
  actor.subscribe({
    error: (err) => ctx.fail(err),
    complete: () => {
      notify?.tell({ t: 'agency-done', id: s.id, code: outcome ?? 1, winners });
      ctx.stop();
    },
  });

  return {
    started() {
      if (!held) {
        actor.start();
        return;
      }
      if (s.mode === 'batch') {
        reader = spawnReader();
        nextBatch = reader.ask<BatchOut | null>({ t: 'next' }, { timeoutMs: 60_000 });
        nextBatch.catch(() => {}); // handled when it is used
        prefetched = true;
      }
    },
    receive(msg) {
      if (msg.type === 'go') {
        if (!held) return;
        held = false;
        const f = msg.settings;
        if (reader !== null && (f.file !== s.file || f.protocol !== s.protocol || f.maxAmount !== s.maxAmount || f.id !== s.id)) {
          ctx.stop(reader); // read for other settings than the go's (not from `lottery run`)
          reader = null;
          nextBatch = null;
          prefetched = false;
        }
        s = f;
        actor.start();
        for (const m of early.splice(0)) actor.send(m);
        return;
      }
      if (held) early.push(msg);
      else actor.send(msg);
    },
    stopped() {
      attempts.cancelRetry();
      attempts.inflight?.cancel();
      dropLink();
      actor.stop();
    },
    inspect() {
      return { state: actor.getSnapshot().value, bets: betsAcked, batches: batchId, winners };
    },
  };
});

