// The server's single writer on the kernel's storage interface (broker.md §7). Every write of a
// group of operations goes into one transaction; `commit()` returns only once it is on disk, and
// only then are replies sent. Topics are keyed by a numeric id: a topic name is data, never a path.
// With durability `off` the same interface keeps nothing (the in-memory topic of the benchmark).
// A publish is one row: its payload with the (gid, seq) of every queue it went to (`subs`), not a
// row per subscriber. A queue entry is pending while its gid exists, its seq is above the gid's
// consumed mark (clients.consumed, written in the consume's transaction) and no `dropped` row
// names it (an unsubscribe's purge, D4). So a publish and every queue it reaches are one row of
// one transaction (never half-queued), FIFO per gid is the seq order, and consuming writes no row
// per message. Stores written with per-subscriber `pending` rows load as before.

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
CREATE TABLE IF NOT EXISTS dropped(gid INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(gid, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rids(lb TEXT NOT NULL, rid INTEGER NOT NULL, reply TEXT NOT NULL, PRIMARY KEY(lb, rid)) WITHOUT ROWID;
`;

/** The store's own files in its data folder (the input-fuzzing test checks nothing else appears). */
export const SERVER_STORE_FILES = ['broker.sqlite', 'broker.sqlite-wal', 'broker.sqlite-shm'];

/** Rows per multi-row insert: few statements for a group of many publishes. */
const ROWS = 128;
const rowsSql = (head: string, n: number, cols: number): string => `${head} VALUES ${Array(n).fill(`(${Array(cols).fill('?').join(', ')})`).join(', ')}`;
/** The multi-row inserts by row count (1..ROWS), made once each. */
const PENDING_SQL = Array.from({ length: ROWS + 1 }, (_, n) => rowsSql('INSERT INTO pending(gid, seq, mid)', n, 3));
const PAYLOAD_SQL = Array.from({ length: ROWS + 1 }, (_, n) => rowsSql('INSERT INTO payloads(mid, tid, body, subs)', n, 4));

/** A publish's queue entries as stored: (gid, seq) pairs, float64 each. */
function encodeSubs(pairs: number[]): Uint8Array {
  return new Uint8Array(new Float64Array(pairs).buffer);
}

function decodeSubs(b: Uint8Array): Float64Array {
  // a copy: a Float64Array needs an aligned offset
  return new Float64Array(b.slice().buffer);
}

class SqliteJournal implements Journal {
  readonly durable = true;
  readonly #db: Store;
  readonly #full: boolean;
  /** This transaction runs with synchronous=NORMAL (restored to FULL when it ends). */
  #unsynced = false;
  /** Payload rows (mid, tid, body, subs) and legacy pending rows (gid, seq, mid) not written yet. */
  #payloads: (number | string | Uint8Array | null)[] = [];
  #pending: number[] = [];
  /** The last payload added and the queue entries added for it since. */
  #mid = -1;
  #pairs: number[] = [];
  /** The store holds per-subscriber pending rows (written by an older version): consumes delete them too. */
  #legacy: boolean;
  /** Gids with `dropped` rows (purged entries): a consume clears theirs up to its mark. */
  readonly #droppedGids = new Set<number>();
  constructor(dataDir: string, durability: 'full' | 'normal', maxPages: number | undefined) {
    this.#full = durability === 'full';
    this.#db = openStore(join(dataDir, 'broker.sqlite'), { durability });
    this.#db.exec(SCHEMA);
    const cols = this.#db.all<{ name: string }>('PRAGMA table_info(payloads)');
    if (!cols.some((c) => c.name === 'subs')) this.#db.exec('ALTER TABLE payloads ADD COLUMN subs BLOB');
    this.#legacy = this.#db.get('SELECT 1 AS x FROM pending LIMIT 1') !== undefined;
    for (const r of this.#db.all<{ gid: number }>('SELECT DISTINCT gid FROM dropped')) this.#droppedGids.add(r.gid);
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
  /** The last payload's queue entries go into its row. */
  #closePayload(): void {
    if (this.#mid < 0) return;
    this.#payloads[this.#payloads.length - 1] = this.#pairs.length > 0 ? encodeSubs(this.#pairs) : null;
    this.#mid = -1;
    this.#pairs = [];
  }
  /** Writes the buffered rows; every other statement of the group comes after them (it may depend on them). */
  #rows(): void {
    this.#closePayload();
    if (this.#payloads.length > 0) this.#insert(PAYLOAD_SQL, this.#payloads, 4);
    if (this.#pending.length > 0) this.#insert(PENDING_SQL, this.#pending, 3);
    this.#payloads = [];
    this.#pending = [];
  }
  #insert(sql: readonly string[], flat: readonly (number | string | Uint8Array | null)[], cols: number): void {
    for (let at = 0; at < flat.length; at += cols * ROWS) {
      const part = at === 0 && flat.length <= cols * ROWS ? flat : flat.slice(at, at + cols * ROWS);
      this.#db.run(sql[part.length / cols], ...part);
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
    this.#mid = -1;
    this.#pairs = [];
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
    if (this.#legacy) this.#db.run('DELETE FROM pending WHERE gid = ?', gid);
    if (this.#droppedGids.delete(gid)) this.#db.run('DELETE FROM dropped WHERE gid = ?', gid);
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
    this.#closePayload();
    this.#payloads.push(mid, tid, body, null);
    this.#mid = mid;
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
    // the usual case: an entry of the payload just added goes into its row
    if (mid === this.#mid) this.#pairs.push(gid, seq);
    else this.#pending.push(gid, seq, mid);
  }
  deletePending(gid: number, seq: number): void {
    this.#rows();
    if (this.#legacy) this.#db.run('DELETE FROM pending WHERE gid = ? AND seq = ?', gid, seq);
    this.#db.run('INSERT OR IGNORE INTO dropped(gid, seq) VALUES (?, ?)', gid, seq);
    this.#droppedGids.add(gid);
  }
  /** The consumed mark (setClient, same transaction) ends these entries; only legacy rows and tombstones go. */
  deletePendingUpTo(gid: number, seq: number): void {
    this.#rows();
    if (this.#legacy) this.#db.run('DELETE FROM pending WHERE gid = ? AND seq <= ?', gid, seq);
    if (this.#droppedGids.has(gid)) this.#db.run('DELETE FROM dropped WHERE gid = ? AND seq <= ?', gid, seq);
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
    const clients = db.all<{ gid: number; lb: string; nextSeq: number; consumed: number }>('SELECT gid, lb, next_seq AS nextSeq, consumed FROM clients ORDER BY gid');
    const consumed = new Map(clients.map((c) => [c.gid, c.consumed]));
    const dropped = new Set(db.all<{ gid: number; seq: number }>('SELECT gid, seq FROM dropped').map((r) => `${r.gid}:${r.seq}`));
    const live = (gid: number, seq: number): boolean => {
      const c = consumed.get(gid);
      return c !== undefined && seq > c && !dropped.has(`${gid}:${seq}`);
    };
    const pending: LoadedState['pending'] = [];
    const used = new Set<number>();
    for (const p of db.all<LoadedState['pending'][number]>('SELECT p.gid AS gid, p.seq AS seq, p.mid AS mid, m.tid AS tid, m.body AS body FROM pending p JOIN payloads m ON m.mid = p.mid')) {
      if (!live(p.gid, p.seq)) continue;
      pending.push(p);
      used.add(p.mid);
    }
    const maxMid = db.get<{ m: number | null }>('SELECT max(mid) AS m FROM payloads')?.m ?? 0;
    const unused: number[] = [];
    for (const r of db.all<{ mid: number; tid: number; body: string; subs: Uint8Array | null }>('SELECT mid, tid, body, subs FROM payloads ORDER BY mid')) {
      if (r.subs !== null) {
        const pairs = decodeSubs(r.subs);
        for (let i = 0; i + 1 < pairs.length; i += 2) {
          if (!live(pairs[i], pairs[i + 1])) continue;
          pending.push({ gid: pairs[i], seq: pairs[i + 1], mid: r.mid, tid: r.tid, body: r.body });
          used.add(r.mid);
        }
      }
      if (!used.has(r.mid)) unused.push(r.mid);
    }
    // a payload no queue needs any more (its last consume was committed): it goes now
    if (unused.length > 0) {
      db.exec('BEGIN IMMEDIATE');
      this.deletePayloads(unused);
      db.exec('COMMIT');
    }
    pending.sort((a, b) => a.gid - b.gid || a.seq - b.seq);
    return {
      maxMid,
      meta: new Map(db.all<{ k: string; v: number }>('SELECT k, v FROM meta').map((r) => [r.k, r.v])),
      topics: db.all('SELECT tid, name FROM topics ORDER BY tid'),
      clients,
      subs: db.all('SELECT tid, gid FROM subs'),
      pending,
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
