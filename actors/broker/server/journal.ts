// The server's single writer on the kernel's storage interface (broker.md §7). Every write of a
// group of operations goes into one transaction; `commit()` returns only once it is on disk, and
// only then are replies sent. Topics are keyed by a numeric id: a topic name is data, never a path.
// With durability `off` the same interface keeps nothing (the in-memory topic of the benchmark).

import { join } from 'node:path';
import { openStore, type Store } from '../../../runtime/storage/storage.ts';
import type { Durability } from '../limits.ts';

export interface LoadedState {
  meta: Map<string, number>;
  topics: { tid: number; name: string }[];
  clients: { gid: number; lb: string; nextSeq: number; consumed: number }[];
  subs: { tid: number; gid: number }[];
  /** Pending messages in (gid, seq) order with their payloads. */
  pending: { gid: number; seq: number; mid: number; tid: number; body: string }[];
  rids: { lb: string; rid: number; reply: string }[];
  /** Highest payload id ever stored (payload ids are internal; they only must not collide). */
  maxMid: number;
}

export interface Journal {
  /**
   * `unsynced`: the group holds only `consumed` marks (nothing is acknowledged after it), so it
   * commits without its own sync; the next synced commit makes it durable with everything before
   * it (WAL). A crash in between loses only those marks: the messages come back (at least once).
   */
  begin(unsynced?: boolean): void;
  commit(): void;
  rollback(): void;
  setMeta(key: string, value: number): void;
  addTopic(tid: number, name: string): void;
  addClient(gid: number, lb: string): void;
  deleteClient(gid: number): void;
  /** Records the next seq and the consumed mark of a gid (after a purge, so seqs are never reused). */
  setClient(gid: number, nextSeq: number, consumed: number): void;
  addSub(tid: number, gid: number): void;
  deleteSub(tid: number, gid: number): void;
  addPayload(mid: number, tid: number, body: string): void;
  /** Deletes the payloads of `mids` (ascending): consecutive mids go in one range statement. */
  deletePayloads(mids: readonly number[]): void;
  /** One message queued for several subscribers: (gid, seq) pairs, several rows per statement. */
  addPendings(mid: number, rows: readonly (readonly [gid: number, seq: number])[]): void;
  deletePending(gid: number, seq: number): void;
  /** Removes every pending message of `gid` up to `seq` (a cumulative `consumed`). */
  deletePendingUpTo(gid: number, seq: number): void;
  remember(lb: string, rid: number, reply: string): void;
  /** False for the memory-only journal: callers skip preparing what it would drop. */
  readonly durable: boolean;
  forgetRidsBelow(lb: string, rid: number): void;
  load(): LoadedState;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS topics(tid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS clients(gid INTEGER PRIMARY KEY, lb TEXT NOT NULL, next_seq INTEGER NOT NULL DEFAULT 1, consumed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS subs(tid INTEGER NOT NULL, gid INTEGER NOT NULL, PRIMARY KEY(tid, gid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS payloads(mid INTEGER PRIMARY KEY, tid INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending(gid INTEGER NOT NULL, seq INTEGER NOT NULL, mid INTEGER NOT NULL, PRIMARY KEY(gid, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rids(lb TEXT NOT NULL, rid INTEGER NOT NULL, reply TEXT NOT NULL, PRIMARY KEY(lb, rid)) WITHOUT ROWID;
`;

/** The store's own files in its data folder (the input-fuzzing test checks nothing else appears). */
export const SERVER_STORE_FILES = ['broker.sqlite', 'broker.sqlite-wal', 'broker.sqlite-shm'];

const PENDING_ROWS = 16;
/** The multi-row pending inserts, by row count (1..PENDING_ROWS), so each is prepared once. */
const PENDING_SQL = Array.from({ length: PENDING_ROWS + 1 }, (_, n) => `INSERT INTO pending(gid, seq, mid) VALUES ${Array(n).fill('(?, ?, ?)').join(', ')}`);

class SqliteJournal implements Journal {
  readonly durable = true;
  readonly #db: Store;
  readonly #full: boolean;
  /** This transaction runs with synchronous=NORMAL (restored to FULL when it ends). */
  #unsynced = false;
  constructor(dataDir: string, durability: 'full' | 'normal', maxPages: number | undefined) {
    this.#full = durability === 'full';
    this.#db = openStore(join(dataDir, 'broker.sqlite'), { durability });
    this.#db.exec(SCHEMA);
    // a cap on the file's size: a write past it fails like a full disk (SQLITE_FULL)
    if (maxPages !== undefined) this.#db.exec(`PRAGMA max_page_count = ${Math.floor(maxPages)}`);
  }
  begin(unsynced = false): void {
    if (unsynced && this.#full) {
      this.#db.exec('PRAGMA synchronous = NORMAL');
      this.#unsynced = true;
    }
    this.#db.exec('BEGIN IMMEDIATE');
  }
  commit(): void {
    try {
      this.#db.exec('COMMIT');
    } finally {
      this.#synced();
    }
  }
  rollback(): void {
    try {
      this.#db.exec('ROLLBACK');
    } catch {
      // no transaction left to undo (SQLite already rolled back after an I/O error)
    }
    this.#synced();
  }
  #synced(): void {
    if (!this.#unsynced) return;
    this.#unsynced = false;
    this.#db.exec('PRAGMA synchronous = FULL');
  }
  setMeta(key: string, value: number): void {
    this.#db.run('INSERT INTO meta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v', key, value);
  }
  addTopic(tid: number, name: string): void {
    this.#db.run('INSERT INTO topics(tid, name) VALUES (?, ?)', tid, name);
  }
  addClient(gid: number, lb: string): void {
    this.#db.run('INSERT INTO clients(gid, lb) VALUES (?, ?)', gid, lb);
  }
  deleteClient(gid: number): void {
    this.#db.run('DELETE FROM clients WHERE gid = ?', gid);
    this.#db.run('DELETE FROM subs WHERE gid = ?', gid);
    this.#db.run('DELETE FROM pending WHERE gid = ?', gid);
  }
  setClient(gid: number, nextSeq: number, consumed: number): void {
    this.#db.run('UPDATE clients SET next_seq = ?, consumed = ? WHERE gid = ?', nextSeq, consumed, gid);
  }
  addSub(tid: number, gid: number): void {
    this.#db.run('INSERT INTO subs(tid, gid) VALUES (?, ?)', tid, gid);
  }
  deleteSub(tid: number, gid: number): void {
    this.#db.run('DELETE FROM subs WHERE tid = ? AND gid = ?', tid, gid);
  }
  addPayload(mid: number, tid: number, body: string): void {
    this.#db.run('INSERT INTO payloads(mid, tid, body) VALUES (?, ?, ?)', mid, tid, body);
  }
  deletePayloads(mids: readonly number[]): void {
    let from = 0;
    for (let i = 1; i <= mids.length; i++) {
      if (i < mids.length && mids[i] === mids[i - 1] + 1) continue;
      if (i - from === 1) this.#db.run('DELETE FROM payloads WHERE mid = ?', mids[from]);
      else this.#db.run('DELETE FROM payloads WHERE mid BETWEEN ? AND ?', mids[from], mids[i - 1]);
      from = i;
    }
  }
  addPendings(mid: number, rows: readonly (readonly [number, number])[]): void {
    // up to PENDING_ROWS rows per statement: fewer calls into SQLite for a wide fan-out
    for (let at = 0; at < rows.length; at += PENDING_ROWS) {
      const n = Math.min(PENDING_ROWS, rows.length - at);
      const params: number[] = [];
      for (let i = at; i < at + n; i++) params.push(rows[i][0], rows[i][1], mid);
      this.#db.run(PENDING_SQL[n], ...params);
    }
  }
  deletePending(gid: number, seq: number): void {
    this.#db.run('DELETE FROM pending WHERE gid = ? AND seq = ?', gid, seq);
  }
  deletePendingUpTo(gid: number, seq: number): void {
    this.#db.run('DELETE FROM pending WHERE gid = ? AND seq <= ?', gid, seq);
  }
  remember(lb: string, rid: number, reply: string): void {
    this.#db.run('INSERT OR REPLACE INTO rids(lb, rid, reply) VALUES (?, ?, ?)', lb, rid, reply);
  }
  forgetRidsBelow(lb: string, rid: number): void {
    this.#db.run('DELETE FROM rids WHERE lb = ? AND rid < ?', lb, rid);
  }
  load(): LoadedState {
    const db = this.#db;
    // a payload no queue references (never left by a committed transaction, but cheap to make sure)
    db.run('DELETE FROM payloads WHERE mid NOT IN (SELECT mid FROM pending)');
    return {
      maxMid: db.get<{ m: number | null }>('SELECT max(mid) AS m FROM payloads')?.m ?? 0,
      meta: new Map(db.all<{ k: string; v: number }>('SELECT k, v FROM meta').map((r) => [r.k, r.v])),
      topics: db.all('SELECT tid, name FROM topics ORDER BY tid'),
      clients: db.all('SELECT gid, lb, next_seq AS nextSeq, consumed FROM clients ORDER BY gid'),
      subs: db.all('SELECT tid, gid FROM subs'),
      pending: db.all('SELECT p.gid AS gid, p.seq AS seq, p.mid AS mid, m.tid AS tid, m.body AS body FROM pending p JOIN payloads m ON m.mid = p.mid ORDER BY p.gid, p.seq'),
      rids: db.all('SELECT lb, rid, reply FROM rids ORDER BY lb, rid'),
    };
  }
  close(): void {
    this.#db.close();
  }
}

/** Keeps nothing: state lives only in the server's memory (durability `off`). */
class NullJournal implements Journal {
  readonly durable = false;
  begin(): void {}
  commit(): void {}
  rollback(): void {}
  setMeta(): void {}
  addTopic(): void {}
  addClient(): void {}
  deleteClient(): void {}
  setClient(): void {}
  addSub(): void {}
  deleteSub(): void {}
  addPayload(): void {}
  deletePayloads(): void {}
  addPendings(): void {}
  deletePending(): void {}
  deletePendingUpTo(): void {}
  remember(): void {}
  forgetRidsBelow(): void {}
  load(): LoadedState {
    return { meta: new Map(), topics: [], clients: [], subs: [], pending: [], rids: [], maxMid: 0 };
  }
  close(): void {}
}

export function openJournal(dataDir: string, durability: Durability, options: { maxPages?: number } = {}): Journal {
  return durability === 'off' ? new NullJournal() : new SqliteJournal(dataDir, durability, options.maxPages);
}
