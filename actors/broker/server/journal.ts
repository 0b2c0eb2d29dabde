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
  /** Buffered with the pending rows and written many rows per statement before anything else of the group. */
  addPayload(mid: number, tid: number, body: string): void;
  /** Deletes the payloads of `mids` (ascending): consecutive mids go in one range statement. */
  deletePayloads(mids: readonly number[]): void;
  /** Message `mid` queued for `gid` as `seq` (buffered like addPayload). */
  addPending(gid: number, seq: number, mid: number): void;
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

/** Rows per multi-row insert (3 parameters each): few statements for a group of many publishes. */
const ROWS = 128;
const rowsSql = (head: string, n: number): string => `${head} VALUES ${Array(n).fill('(?, ?, ?)').join(', ')}`;
/** The multi-row inserts by row count (1..ROWS), made once each. */
const PENDING_SQL = Array.from({ length: ROWS + 1 }, (_, n) => rowsSql('INSERT INTO pending(gid, seq, mid)', n));
const PAYLOAD_SQL = Array.from({ length: ROWS + 1 }, (_, n) => rowsSql('INSERT INTO payloads(mid, tid, body)', n));

class SqliteJournal implements Journal {
  readonly durable = true;
  readonly #db: Store;
  readonly #full: boolean;
  /** This transaction runs with synchronous=NORMAL (restored to FULL when it ends). */
  #unsynced = false;
  /** Payload rows (mid, tid, body) and pending rows (gid, seq, mid) not written yet. */
  #payloads: (number | string)[] = [];
  #pending: number[] = [];
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
  /** Writes the buffered rows; every other statement of the group comes after them (it may depend on them). */
  #rows(): void {
    if (this.#payloads.length > 0) this.#insert(PAYLOAD_SQL, this.#payloads);
    if (this.#pending.length > 0) this.#insert(PENDING_SQL, this.#pending);
    this.#payloads = [];
    this.#pending = [];
  }
  #insert(sql: readonly string[], flat: readonly (number | string)[]): void {
    for (let at = 0; at < flat.length; at += 3 * ROWS) {
      const part = at === 0 && flat.length <= 3 * ROWS ? flat : flat.slice(at, at + 3 * ROWS);
      this.#db.run(sql[part.length / 3], ...part);
    }
  }
  commit(): void {
    this.#rows();
    try {
      this.#db.exec('COMMIT');
    } finally {
      this.#synced();
    }
  }
  rollback(): void {
    this.#payloads = [];
    this.#pending = [];
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
    this.#rows();
    this.#db.run('INSERT INTO meta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v', key, value);
  }
  addTopic(tid: number, name: string): void {
    this.#rows();
    this.#db.run('INSERT INTO topics(tid, name) VALUES (?, ?)', tid, name);
  }
  addClient(gid: number, lb: string): void {
    this.#rows();
    this.#db.run('INSERT INTO clients(gid, lb) VALUES (?, ?)', gid, lb);
  }
  deleteClient(gid: number): void {
    this.#rows();
    this.#db.run('DELETE FROM clients WHERE gid = ?', gid);
    this.#db.run('DELETE FROM subs WHERE gid = ?', gid);
    this.#db.run('DELETE FROM pending WHERE gid = ?', gid);
  }
  setClient(gid: number, nextSeq: number, consumed: number): void {
    this.#rows();
    this.#db.run('UPDATE clients SET next_seq = ?, consumed = ? WHERE gid = ?', nextSeq, consumed, gid);
  }
  addSub(tid: number, gid: number): void {
    this.#rows();
    this.#db.run('INSERT INTO subs(tid, gid) VALUES (?, ?)', tid, gid);
  }
  deleteSub(tid: number, gid: number): void {
    this.#rows();
    this.#db.run('DELETE FROM subs WHERE tid = ? AND gid = ?', tid, gid);
  }
  addPayload(mid: number, tid: number, body: string): void {
    this.#payloads.push(mid, tid, body);
  }
  deletePayloads(mids: readonly number[]): void {
    this.#rows();
    let from = 0;
    for (let i = 1; i <= mids.length; i++) {
      if (i < mids.length && mids[i] === mids[i - 1] + 1) continue;
      if (i - from === 1) this.#db.run('DELETE FROM payloads WHERE mid = ?', mids[from]);
      else this.#db.run('DELETE FROM payloads WHERE mid BETWEEN ? AND ?', mids[from], mids[i - 1]);
      from = i;
    }
  }
  addPending(gid: number, seq: number, mid: number): void {
    this.#pending.push(gid, seq, mid);
  }
  deletePending(gid: number, seq: number): void {
    this.#rows();
    this.#db.run('DELETE FROM pending WHERE gid = ? AND seq = ?', gid, seq);
  }
  deletePendingUpTo(gid: number, seq: number): void {
    this.#rows();
    this.#db.run('DELETE FROM pending WHERE gid = ? AND seq <= ?', gid, seq);
  }
  remember(lb: string, rid: number, reply: string): void {
    this.#rows();
    this.#db.run('INSERT OR REPLACE INTO rids(lb, rid, reply) VALUES (?, ?, ?)', lb, rid, reply);
  }
  forgetRidsBelow(lb: string, rid: number): void {
    this.#rows();
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
  addPending(): void {}
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
