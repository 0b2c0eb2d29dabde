// The BetStore's group commit (betstore.ts): batches are inserted as they arrive (those of one
// turn together) into a transaction that is committed once no WAL sync is running: at once when
// the WAL is idle, else when the running sync ends (WalSync's onIdle; a commit made meanwhile
// would wait for the next sync anyway). So every batch that arrives while a sync runs shares one
// commit and the next sync, and the inserts overlap the sync; only the COMMIT itself waits. Each
// batch lands whole or not at all: a failed insert or commit fails every batch of the transaction.
// After each commit the WAL sync that will settle its replies is started (WalSync.after), and then,
// while it runs, the batches' rows are appended to bets.csv (synced in the background every
// CSV_SYNC_BYTES, which is not what makes a batch durable: the store is).

import { fdatasync, writeSync } from 'node:fs';
import type { Reply, Store } from '../../runtime/index.ts';
import { formatBetsCsvRow, type BetRow } from '../../protocols/lottery/index.ts';
import { insertRows } from './bets-db.ts';
import type { StoreReply } from './betstore.ts';
import type { WalSync } from '../../runtime/storage/wal-sync.ts';

/** bets.csv bytes appended between background syncs (they keep the final sync short). */
const CSV_SYNC_BYTES = 1 << 20;

export interface PendingBatch {
  agency: number;
  rows: BetRow[];
  csv: string | undefined;
  reply: Reply | null;
  /** Protocol A: the batch id and the digest of its rows (resend detection). */
  batch: { id: number; digest: string } | null;
  /** Replies of resends of this batch that arrived while it was pending. */
  resends: Reply[];
}

export interface BatchWriterHooks {
  store: () => Store | null;
  /** bets.csv's descriptor (-1: none). */
  csv: () => number;
  wal: WalSync;
  /** The group is committed (its rows counted by the caller); its replies wait for the sync. */
  committed: (group: readonly PendingBatch[]) => void;
  error: (msg: string, fields: Record<string, unknown>) => void;
}

const answer = (group: readonly PendingBatch[], reply: (p: PendingBatch) => StoreReply): void => {
  for (const p of group) for (const r of [p.reply, ...p.resends]) r?.resolve(reply(p));
};

export class BatchWriter {
  commits = 0;
  /** Received, not yet inserted. */
  private pending: PendingBatch[] = [];
  /** Inserted into the open transaction, not yet committed (a WAL sync was running). */
  private open: PendingBatch[] = [];
  private inTx = false;
  private scheduled = false;
  private csvUnsynced = 0;
  private csvSyncing = false;
  private readonly h: BatchWriterHooks;

  constructor(hooks: BatchWriterHooks) {
    this.h = hooks;
  }

  /** Batches received and not yet committed. */
  get size(): number {
    return this.pending.length + this.open.length;
  }

  add(p: PendingBatch): void {
    this.pending.push(p);
    this.schedule();
  }

  /** A batch not committed yet that `match` recognises (a resend of it joins its replies). */
  find(match: (p: PendingBatch) => boolean): PendingBatch | undefined {
    return this.pending.find(match) ?? this.open.find(match);
  }

  /** Flushes after this turn: the batches of the turn share the insert. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Inserts what was received, and commits unless a sync runs; `force`: commit now (closes, queries, the stop). */
  flush(force = false): void {
    this.scheduled = false;
    const store = this.h.store();
    if (store === null) return;
    if (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      try {
        if (!this.inTx) {
          store.exec('BEGIN IMMEDIATE');
          this.inTx = true;
        }
        for (const p of group) {
          insertRows(store, p.rows);
          if (p.batch) store.run('INSERT OR IGNORE INTO committed_batches (agency, batch_id, digest) VALUES (?, ?, ?)', p.agency, p.batch.id, p.batch.digest);
        }
        this.open.push(...group);
      } catch (err) {
        return this.rollback(store, [...this.open, ...group], err);
      }
    }
    if (this.inTx && (force || !this.h.wal.busy)) this.commit(store);
  }

  private rollback(store: Store, group: PendingBatch[], err: unknown): void {
    const reason = `store write failed: ${(err as Error).message}`;
    this.h.error('batch commit failed', { error: reason, batches: group.length });
    this.open = [];
    if (this.inTx) {
      this.inTx = false;
      try {
        store.exec('ROLLBACK');
      } catch {
        /* rolled back by SQLite already */
      }
    }
    answer(group, () => ({ ok: false, reason }));
  }

  private commit(store: Store): void {
    const group = this.open;
    try {
      store.exec('COMMIT');
    } catch (err) {
      return this.rollback(store, group, err);
    }
    this.inTx = false;
    this.open = [];
    this.commits++;
    // The sync first: its replies wait for it, and the bookkeeping and the bets.csv append
    // (~7 kB per batch) run while it does instead of before it starts.
    this.h.wal.after(
      () => answer(group, (p) => ({ ok: true, stored: p.rows.length })),
      (reason) => answer(group, () => ({ ok: false, reason })),
    );
    this.h.committed(group);
    this.appendCsv(group);
  }

  private appendCsv(group: readonly PendingBatch[]): void {
    const fd = this.h.csv();
    if (fd < 0) return;
    let text = '';
    for (const p of group) {
      if (p.csv !== undefined) text += p.csv;
      else for (const r of p.rows) text += formatBetsCsvRow(r);
    }
    try {
      this.csvUnsynced += writeSync(fd, text);
      if (this.csvUnsynced >= CSV_SYNC_BYTES && !this.csvSyncing) {
        this.csvUnsynced = 0;
        this.csvSyncing = true;
        fdatasync(fd, () => (this.csvSyncing = false));
      }
    } catch (err) {
      // The store of record has the rows; bets.csv is rebuilt from it at the next start.
      this.h.error('bets.csv append failed', { error: (err as Error).message });
    }
  }
}
