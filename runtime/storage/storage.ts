// The storage interface for data that must survive crashes (broker queues, lottery bets), with
// Node's embedded SQLite as the default engine. WAL journal and synchronous=FULL: once a write
// returns, it is on disk, so an acknowledgement sent after it is never a lie.

// node:sqlite loads when a store is opened, not with the kernel's entry (runtime/index.ts): a
// process or thread that never opens a store never loads it (fast start-up).
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqlValue = SQLInputValue;

export interface RunResult {
  changes: number;
  lastInsertRowid: number;
}

export interface Store {
  readonly location: string;
  /** Runs one or more statements without parameters (schema, pragmas). */
  exec(sql: string): void;
  run(sql: string, ...params: SqlValue[]): RunResult;
  get<T = Record<string, unknown>>(sql: string, ...params: SqlValue[]): T | undefined;
  all<T = Record<string, unknown>>(sql: string, ...params: SqlValue[]): T[];
  /** Runs `fn` in one transaction: all of its writes land, or none (rollback on throw). */
  transaction<T>(fn: () => T): T;
  /** One prepared statement over many rows in one transaction; returns the rows changed. */
  batch(sql: string, rows: readonly SqlValue[][]): number;
  close(): void;
}

export interface StoreOptions {
  /** `full` (default) syncs every commit; `normal` syncs at checkpoints (faster, may lose the last commits on power loss). */
  durability?: 'full' | 'normal';
  /**
   * One process owns the file (a single writer): its locks are taken once and kept, and the WAL
   * index lives in the process's memory instead of a shared `-shm` file. Saves the lock calls of
   * every transaction; another connection cannot open the file while this one is open.
   */
  exclusive?: boolean;
}

class SqliteStore implements Store {
  readonly location: string;
  private db: DatabaseSync;
  private statements = new Map<string, ReturnType<DatabaseSync['prepare']>>();
  private depth = 0;

  constructor(location: string, o: StoreOptions) {
    this.location = location;
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    const sqlite = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite');
    this.db = new sqlite.DatabaseSync(location);
    // EXCLUSIVE must come before the first access in WAL mode (no shared-memory index is made then).
    if (o.exclusive) this.db.exec('PRAGMA locking_mode=EXCLUSIVE;');
    this.db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${o.durability === 'normal' ? 'NORMAL' : 'FULL'}; PRAGMA busy_timeout=5000;`);
  }

  private prepared(sql: string): ReturnType<DatabaseSync['prepare']> {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  run(sql: string, ...params: SqlValue[]): RunResult {
    const r = this.prepared(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return this.prepared(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.prepared(sql).all(...params) as T[];
  }

  transaction<T>(fn: () => T): T {
    // Nested calls run in a savepoint of the outer transaction: a throw undoes their writes only.
    const sp = this.depth > 0 ? `sp${this.depth}` : null;
    this.db.exec(sp ? `SAVEPOINT ${sp}` : 'BEGIN IMMEDIATE');
    this.depth++;
    try {
      const out = fn();
      this.db.exec(sp ? `RELEASE ${sp}` : 'COMMIT');
      return out;
    } catch (err) {
      this.db.exec(sp ? `ROLLBACK TO ${sp}; RELEASE ${sp}` : 'ROLLBACK');
      throw err;
    } finally {
      this.depth--;
    }
  }

  batch(sql: string, rows: readonly SqlValue[][]): number {
    const st = this.prepared(sql);
    return this.transaction(() => {
      let n = 0;
      for (const r of rows) n += Number(st.run(...r).changes);
      return n;
    });
  }

  close(): void {
    this.statements.clear();
    if (this.db.isOpen) this.db.close();
  }
}

/** Opens (creating if needed) a store at a file path, or `:memory:`. */
export function openStore(location: string, options: StoreOptions = {}): Store {
  return new SqliteStore(location, options);
}
