// BetStore: the single writer of the lottery (lottery.md §2). It appends each batch atomically
// and commits it durably (node:sqlite, WAL, synchronous=FULL) before the connection is told to
// acknowledge it; keeps `bets.csv` in the data dir in step with the store of record; records
// agency closes durably and tells the DrawCoordinator; and answers the draw with the winning bets
// it kept as batches committed (read back from the store when it starts).
//
// Group commit (batch-writer.ts): batches are inserted as they arrive into a transaction that is
// committed once no WAL sync is running, so the batches of a sync's time share one commit and the
// next sync. Nothing else waits on purpose: an agency has one batch on the wire, so a commit
// delayed to gather more would delay that agency's next batch (the run's critical path is the
// largest agency's chain of round trips; see the README).
//
// Resends (protocol A): a batch committed just before a crash is never acknowledged, and the agency
// resends it with the same batch id; an agency restarted from its first batch resends all of them.
// Every committed batch of each agency (id and a digest of its rows) is stored in the same
// transaction as its rows, so a resend of exactly a committed batch (same id, same rows) is
// acknowledged again without storing it twice, across server restarts too. The same id with other
// rows is a new batch. Protocol B carries no batch id: see the README.
//
// Durability without blocking the thread (durability 'full', the default): SQLite runs with
// synchronous=NORMAL (a commit writes the WAL but does not fsync it) and the BetStore syncs the
// WAL file itself (fdatasync, as SQLite does on Linux), off the thread (libuv pool), before any
// batch of that commit is acknowledged.
// A commit whose WAL frames are on disk is durable (SQLite syncs the WAL before every checkpoint
// and the database after it), so no ACK is sent before its commit is durable, exactly as with
// synchronous=FULL; meanwhile the thread keeps accepting, decoding and inserting the next
// batches, and one fsync covers every commit made while the previous one was running. Closes
// and the draw record are synced the same way (synchronously) before they are answered.
//
// Checkpoints: SQLite's automatic checkpoint (every 1000 WAL pages by default, on this thread, a
// few ms each) is raised to CHECKPOINT_PAGES, so a run of the official size takes none while
// batches come in; once the draw has been answered, the WAL is checkpointed and bets.csv synced
// here (settleAfterDraw), while the agencies finish, so the stop that follows (close_store) has
// little left to write (bets.csv is also synced in the background as it grows: batch-writer.ts).
// A server process that exits right after its stop (exitsAfterStop: `lottery server`, and the
// server of `lottery run`) checkpoints nothing: the checkpoint (~15-30 ms on this thread for an
// official run) held the loop when the SIGTERM came. Its stop syncs the WAL (WalSync.close) and
// leaves the store open for the exit, so SQLite's close does not checkpoint either (process.exit
// runs no destructor): the WAL, synced, holds every committed batch, and the next open replays it,
// as after a kill -9 (the crash tests). Nothing acknowledged depends on a checkpoint.

import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { defineActor, type Reply, type Store } from '../../runtime/index.ts';
import { formatBetsCsvRow, LOTTERY_WINNER_NUMBER, type BetRow } from '../../protocols/lottery/index.ts';
import { openBetStore, rewriteBetsCsv, storePath } from './bets-db.ts';
import { BatchWriter, type PendingBatch } from './batch-writer.ts';

export { insertRows, openBetStore } from './bets-db.ts';
import { Tp0Log } from './tp0log.ts';
import { WalSync } from '../../runtime/storage/wal-sync.ts';
import type { CoordinatorMsg } from './coordinator.ts';

export type StoreReply = { ok: true; stored: number } | { ok: false; reason: string };
/** An agency's progress (the LST resume query): its highest committed protocol A batch id and its stored rows. */
export interface StoreProgress {
  lastBatchId: number;
  rows: number;
}
export interface StoreState {
  closed: number[];
  drawn: boolean;
  bets: number;
}
export interface DrawScan {
  winners: [agency: number, documents: string[]][];
  alreadyDrawn: boolean;
  bets: number;
}

export type BetStoreMsg =
  /**
   * One batch of one agency. `rows` may be packed as the JSON text of the BetRow[] (one string
   * crosses threads far cheaper than 6 values per bet); `csv` is the same rows already formatted
   * as `bets.csv` lines (optional: formatted here when absent).
   */
  | { t: 'store'; agency: number; rows: BetRow[] | string; csv?: string; batchId?: number }
  | { t: 'close'; agency: number }
  /** ask -> StoreProgress, once everything counted is durable. */
  | { t: 'progress'; agency: number }
  | { t: 'state' }
  | { t: 'draw' }
  | { t: 'count' };

export interface BetStoreProps {
  dataDir: string;
  agencies: number;
  coordinator: { path: string; thread: number };
  loggingLevel: string;
  source?: string;
  durability?: 'full' | 'normal';
  /**
   * The process exits (process.exit) right after a shutdown: the WAL is synced and left in place
   * instead of checkpointed into the database file (see "Checkpoints" above).
   */
  exitsAfterStop?: boolean;
}

/** Stores left open at a shutdown with exitsAfterStop: kept reachable, so no collection closes (and checkpoints) them before the exit. */
const leftOpen: Store[] = [];

interface LastBatch {
  id: number;
  digest: string;
}

/**
 * node:crypto's hash, taken at the first digest: loading the module costs the server ~2 ms, which
 * its start (spawn to listening) need not pay (processes.ts loads it once the server listens).
 */
let hash: typeof import('node:crypto').hash | null = null;

function digestOf(agency: number, rows: readonly BetRow[], csv: string | undefined): string {
  hash ??= (process.getBuiltinModule('node:crypto') as typeof import('node:crypto')).hash;
  let text = csv;
  if (text === undefined) {
    text = '';
    for (const r of rows) text += formatBetsCsvRow(r);
  }
  return hash('sha1', `${agency}${text}`, 'base64'); // one call (a Hash object cost ~5 µs more per batch)
}

/** WAL pages between automatic checkpoints (40 MB of 4 kB pages; SQLite's default is 1000). */
const CHECKPOINT_PAGES = 10_000;

export const BetStore = defineActor<BetStoreMsg, BetStoreProps>(import.meta.url, 'BetStore', (props, ctx) => {
  let store: Store | null = null;
  let csv = -1;
  let closed = new Set<number>();
  let drawn = false;
  let count = 0;
  let resends = 0;
  /** Every committed batch of each agency (protocol A), as `<batch id>:<digest of its rows>`. */
  const committed = new Map<number, Set<string>>();
  /** The highest committed protocol A batch id of each agency (the LST resume query). */
  const lastBatch = new Map<number, number>();
  const remember = (agency: number, b: LastBatch): void => {
    let m = committed.get(agency);
    if (m === undefined) committed.set(agency, (m = new Set()));
    m.add(`${b.id}:${b.digest}`);
    if (b.id > (lastBatch.get(agency) ?? 0)) lastBatch.set(agency, b.id);
  };
  /**
   * The documents of the winning bets of each agency, in storage order, kept as batches commit
   * (read from the store at start): the draw answers from it, with no scan of every bet on the
   * way from the last close to `sorteo`.
   */
  const winning = new Map<number, string[]>();
  const won = (agency: number, document: string): void => {
    let l = winning.get(agency);
    if (!l) winning.set(agency, (l = []));
    l.push(document);
  };
  /** Per-agency progress for inspect() (the live view's lottery panel): bets stored, winners once drawn. */
  const betsByAgency = new Map<number, number>();
  let winnersByAgency: Map<number, number> | null = null;
  const log = new Tp0Log({ level: props.loggingLevel, source: props.source });
  const coordinator = ctx.refFor<CoordinatorMsg>(props.coordinator.path, props.coordinator.thread);
  const walSync = new WalSync(
    `${storePath(props.dataDir)}-wal`,
    (props.durability ?? 'full') === 'full',
    (error, batches) => ctx.log.error('wal sync failed', { error, batches }),
    // Two syncs may run at once: a commit made while one runs starts its own at once instead of
    // waiting for its end, whose completion reaches this busy thread ~1 ms late (18 alternated
    // runs each: ingest ~367 ms against ~392 quiet, ~519 against ~563 at load 3-4; 4 in flight no
    // better than 2). Replies still go out in commit order, each after a sync that began after it.
    { onIdle: () => writer.schedule(), maxInFlight: 2 }, // onIdle: the commit held back while the syncs ran
  );
  const writer = new BatchWriter({
    store: () => store,
    csv: () => csv,
    wal: walSync,
    committed: (group) => {
      for (const p of group) {
        if (p.batch) remember(p.agency, p.batch);
        count += p.rows.length;
        betsByAgency.set(p.agency, (betsByAgency.get(p.agency) ?? 0) + p.rows.length);
        for (const r of p.rows) if (r[5] === LOTTERY_WINNER_NUMBER) won(r[0], r[3]);
      }
    },
    error: (msg, fields) => ctx.log.error(msg, fields),
  });
  const flush = (force: boolean): void => writer.flush(force);
  const afterSync = walSync.after.bind(walSync);
  const noop = (): void => {};
  const syncNow = walSync.now.bind(walSync);

  /** The draw is answered: checkpoint the WAL and sync bets.csv now, off the stop's path. */
  function settleAfterDraw(): void {
    if (store === null) return;
    if (props.exitsAfterStop) {
      // No checkpoint (see the top); bets.csv synced off the thread, so the stop's sync finds little.
      if (csv >= 0) fdatasync(csv, () => {});
      return;
    }
    try {
      store.exec('PRAGMA wal_checkpoint(TRUNCATE)'); // the close then finds an empty WAL
      if (csv >= 0) fsyncSync(csv);
    } catch (err) {
      ctx.log.warn('checkpoint after the draw failed; left to the close', { error: (err as Error).message });
    }
  }

  /** A resend of one of the agency's batches (committed, or still pending): answered with it, not stored. */
  function resendOf(agency: number, batch: LastBatch, bets: number): boolean {
    const same = (b: LastBatch | null | undefined): boolean => b !== null && b !== undefined && b.id === batch.id && b.digest === batch.digest;
    const inFlight = writer.find((p) => p.agency === agency && same(p.batch));
    if (!inFlight && !committed.get(agency)?.has(`${batch.id}:${batch.digest}`)) return false;
    resends++;
    ctx.log.info('resent batch acknowledged again, not stored twice', { agency, batchId: batch.id, bets });
    const reply = ctx.deferReply();
    if (inFlight) {
      if (reply) inFlight.resends.push(reply);
    }
    // Committed: answered once it is durable (its WAL sync may still be running).
    else
      afterSync(
        () => reply?.resolve({ ok: true, stored: bets } satisfies StoreReply),
        (reason) => reply?.resolve({ ok: false, reason } satisfies StoreReply),
      );
    return true;
  }

  return {
    started() {
      // 'full': the WAL is fsynced by this actor before each reply (see the top of the file).
      store = openBetStore(props.dataDir, 'normal', true);
      store.exec(`PRAGMA wal_autocheckpoint=${CHECKPOINT_PAGES}`);
      closed = new Set(store.all<{ agency: number }>('SELECT agency FROM closed_agencies').map((r) => r.agency));
      // last_batch: stores written before every batch was kept.
      for (const table of ['last_batch', 'committed_batches'])
        for (const r of store.all<{ agency: number; batch_id: number; digest: string }>(`SELECT agency, batch_id, digest FROM ${table}`))
          remember(r.agency, { id: r.batch_id, digest: r.digest });
      drawn = store.get('SELECT 1 AS x FROM draw WHERE id = 1') !== undefined;
      count = rewriteBetsCsv(store, props.dataDir);
      for (const r of store.all<{ agency: number; n: number }>('SELECT agency, COUNT(*) AS n FROM bets GROUP BY agency')) betsByAgency.set(r.agency, r.n);
      if (count > 0)
        for (const r of store.all<{ agency: number; document: string }>('SELECT agency, document FROM bets WHERE number = ? ORDER BY rowid', LOTTERY_WINNER_NUMBER))
          won(r.agency, r.document);
      csv = openSync(join(props.dataDir, 'bets.csv'), 'a');
      // The first sync also syncs the WAL's folder (~5-10 ms here): started now, off the thread,
      // while the server finishes its start (it also makes a fresh store's schema durable).
      afterSync(noop, noop);
      ctx.log.info('bet store open', { dir: props.dataDir, bets: count, closed: [...closed], drawn });
    },
    receive(msg) {
      switch (msg.t) {
        case 'store': {
          if (closed.has(msg.agency)) {
            ctx.reply({ ok: false, reason: `agency ${msg.agency} has already closed` } satisfies StoreReply);
            return;
          }
          if (msg.agency < 1 || msg.agency > props.agencies) {
            ctx.reply({ ok: false, reason: `agency ${msg.agency} is outside 1..${props.agencies}` } satisfies StoreReply);
            return;
          }
          const rows: BetRow[] = typeof msg.rows === 'string' ? JSON.parse(msg.rows) : msg.rows;
          for (const r of rows) {
            if (r[0] !== msg.agency) {
              ctx.reply({ ok: false, reason: 'a batch mixes agencies' } satisfies StoreReply);
              return;
            }
          }
          const batch = msg.batchId === undefined ? null : { id: msg.batchId, digest: digestOf(msg.agency, rows, msg.csv) };
          if (batch && resendOf(msg.agency, batch, rows.length)) return;
          writer.add({ agency: msg.agency, rows, csv: msg.csv, reply: ctx.deferReply(), batch, resends: [] } satisfies PendingBatch);
          return;
        }
        case 'close': {
          flush(true);
          if (msg.agency < 1 || msg.agency > props.agencies) {
            ctx.replyError(new Error(`agency ${msg.agency} is outside 1..${props.agencies}`));
            return;
          }
          if (!closed.has(msg.agency)) {
            store!.run('INSERT OR IGNORE INTO closed_agencies (agency, closed_at) VALUES (?, ?)', msg.agency, new Date().toISOString());
            closed.add(msg.agency);
          }
          // Answered (and counted for the draw) once durable; the sync runs off the thread like a
          // batch's, so the other agencies' batches go on meanwhile.
          const reply = ctx.deferReply();
          const agency = msg.agency;
          afterSync(
            () => {
              coordinator.tell({ type: 'closed', agency });
              reply?.resolve({ closed: [...closed] });
            },
            (reason) => reply?.reject(new Error(reason)),
          );
          return;
        }
        case 'progress': {
          // Batches of this agency already here (a previous incarnation's last one) are counted:
          // they are committed now and the answer waits for their sync.
          flush(true);
          const progress: StoreProgress = { lastBatchId: lastBatch.get(msg.agency) ?? 0, rows: betsByAgency.get(msg.agency) ?? 0 };
          const reply = ctx.deferReply();
          // At once when every commit's sync has ended (the agencies' queries at a run's start
          // no longer wait for a sync each, one after the other).
          walSync.settled(
            () => reply?.resolve(progress),
            (reason) => reply?.reject(new Error(reason)),
          );
          return;
        }
        case 'state':
          flush(true);
          ctx.reply({ closed: [...closed], drawn, bets: count } satisfies StoreState);
          return;
        case 'draw': {
          flush(true); // every batch received is committed, and in `winning`
          const winners = new Map([...winning].map(([agency, docs]) => [agency, [...docs]]));
          winnersByAgency = new Map([...winners].map(([agency, docs]) => [agency, docs.length]));
          const alreadyDrawn = drawn;
          if (!drawn) {
            store!.run('INSERT OR IGNORE INTO draw (id, drawn_at, bets) VALUES (1, ?, ?)', new Date().toISOString(), count);
            syncNow();
            drawn = true;
            // After this turn's microtasks: the coordinator logs `sorteo` and answers the parked
            // winners requests first (all of it runs as microtasks of this turn).
            setImmediate(settleAfterDraw);
          }
          ctx.reply({ winners: [...winners], alreadyDrawn, bets: count } satisfies DrawScan);
          return;
        }
        case 'count':
          flush(true);
          ctx.reply(count);
          return;
      }
    },
    stopped(_ctx, reason) {
      try {
        flush(true);
      } finally {
        if (csv >= 0) {
          try {
            fsyncSync(csv);
          } catch {
            /* the store of record is what counts */
          }
          closeSync(csv);
          csv = -1;
        }
        // Replies still waiting for a WAL sync (the last commits): one synchronous sync settles them.
        walSync.close();
        const wasOpen = store !== null;
        if (store !== null && props.exitsAfterStop && reason === 'shutdown') leftOpen.push(store);
        else store?.close();
        store = null;
        if (wasOpen && reason === 'shutdown') log.info('close_store', 'success', { bets: count });
        ctx.log.info('bet store closed', { bets: count, commits: writer.commits, syncs: walSync.syncs });
      }
    },
    inspect() {
      const agencies = [...new Set([...betsByAgency.keys(), ...closed])].sort((a, b) => a - b);
      return {
        bets: count,
        closed: [...closed],
        drawn,
        pending: writer.size,
        commits: writer.commits,
        syncs: walSync.syncs,
        resends,
        agencies: agencies.map((agency) => ({ agency, bets: betsByAgency.get(agency) ?? 0, closed: closed.has(agency), winners: winnersByAgency ? (winnersByAgency.get(agency) ?? 0) : null })),
      };
    },
  };
});
