// IdMap (broker.md §5.2): the local broker's persisted map local id <-> global id, its lbId (a
// UUID made on first start) and the blocks of link request ids. A mapping is on disk before the
// create reply leaves (§7.5); local ids grow and are never reused, not even after destroy.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { openStore, type Store } from '../../../runtime/storage/storage.ts';

/** Link rids are reserved in blocks so that a restarted local broker never repeats one the server remembers. */
const RID_BLOCK = 100_000;
const MAX_RID = 0xffff_ffff;

export const LB_STORE_FILES = ['lb.sqlite', 'lb.sqlite-wal', 'lb.sqlite-shm'];

export class IdMap {
  readonly #db: Store;
  readonly lbId: string;
  readonly #toGid = new Map<number, number>();
  readonly #toLocal = new Map<number, number>();
  #nextLocal: number;
  #nextRid: number;
  #ridLimit: number;

  constructor(dataDir: string) {
    this.#db = openStore(join(dataDir, 'lb.sqlite'));
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ids(local INTEGER PRIMARY KEY, gid INTEGER NOT NULL UNIQUE);`);
    const meta = new Map(this.#db.all<{ k: string; v: string }>('SELECT k, v FROM meta').map((r) => [r.k, r.v]));
    this.lbId = meta.get('lbId') ?? randomUUID();
    this.#nextLocal = Number(meta.get('nextLocal') ?? 1);
    for (const r of this.#db.all<{ local: number; gid: number }>('SELECT local, gid FROM ids')) {
      this.#toGid.set(r.local, r.gid);
      this.#toLocal.set(r.gid, r.local);
      if (r.local >= this.#nextLocal) this.#nextLocal = r.local + 1;
    }
    const ridBase = Number(meta.get('ridBase') ?? 0);
    this.#nextRid = ridBase + 1;
    this.#ridLimit = ridBase;
    this.#db.transaction(() => this.#setMeta('lbId', this.lbId));
  }

  #setMeta(k: string, v: string | number): void {
    this.#db.run('INSERT INTO meta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v', k, String(v));
  }

  get size(): number {
    return this.#toGid.size;
  }

  gid(local: number): number | undefined {
    return this.#toGid.get(local);
  }

  local(gid: number): number | undefined {
    return this.#toLocal.get(gid);
  }

  entries(): IterableIterator<[number, number]> {
    return this.#toGid.entries();
  }

  /** Records a new global id under the next local id; durable when it returns. */
  add(gid: number): number {
    const known = this.#toLocal.get(gid);
    if (known !== undefined) return known; // a resent create answered again
    const local = this.#nextLocal;
    this.#db.transaction(() => {
      this.#db.run('INSERT INTO ids(local, gid) VALUES (?, ?)', local, gid);
      this.#setMeta('nextLocal', local + 1);
    });
    this.#nextLocal = local + 1;
    this.#toGid.set(local, gid);
    this.#toLocal.set(gid, local);
    return local;
  }

  remove(local: number): void {
    const gid = this.#toGid.get(local);
    if (gid === undefined) return;
    this.#db.run('DELETE FROM ids WHERE local = ?', local);
    this.#toGid.delete(local);
    this.#toLocal.delete(gid);
  }

  /** The next link request id; a new block is persisted before its first rid is used. */
  nextRid(): number {
    if (this.#nextRid > this.#ridLimit) {
      let base = this.#ridLimit;
      if (base + RID_BLOCK > MAX_RID) base = 0; // wraps after ~4e9 requests; the server remembers far fewer
      this.#ridLimit = base + RID_BLOCK;
      this.#nextRid = base + 1;
      this.#db.transaction(() => this.#setMeta('ridBase', this.#ridLimit));
    }
    return this.#nextRid++;
  }

  close(): void {
    this.#db.close();
  }
}
