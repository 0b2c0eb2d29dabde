// Durability without blocking a store's thread (first user: the lottery's betstore.ts): SQLite runs with
// synchronous=NORMAL and this syncs the WAL file itself (fdatasync, as SQLite does on Linux) off
// the thread, in the libuv pool.
//
// Group commit: a sync covers every commit made before it started, so the replies waiting when a
// sync starts form its group, and each is answered when that sync (or any later one) has ended.
// By default one sync runs at a time and what is committed meanwhile waits for the next one.
// `maxInFlight` > 1 starts a sync for those commits at once instead; on this machine (ext4, 2 cores
// shared with other work, `lottery run` on the official data, 6 runs each of 1, 2 and 4) it made no
// difference larger than the runs' own spread, so it is not the default.
// Replies go out in commit order: a sync that ends settles every older group as well.
// settled() is for answers that depend only on earlier commits (the lottery's resume query): at
// once when every commit's sync has ended, else with the running sync that covers them all.
// The WAL's folder is synced once, with the first sync and off the thread like it (a store may
// start one at open, so the first batch does not pay for it).
//
// A failed sync fails its group, every group still running or waiting, and every later wait: after
// a failed fdatasync the kernel may have dropped the unwritten pages, and later frames of the WAL
// would then follow a hole, so nothing more can be acknowledged as durable.

import { close, closeSync, fdatasync, fdatasyncSync, fsync, fsyncSync, open, openSync } from 'node:fs';
import { dirname } from 'node:path';

interface Waiter {
  ok: () => void;
  fail: (reason: string) => void;
}

/** fs.fdatasync's shape (a test may wrap the real call to watch it). */
export type SyncFn = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

/** fsync of a folder, off the thread: the WAL's directory entry, before the first WAL sync counts. */
function syncFolder(dir: string, done: (err: NodeJS.ErrnoException | null) => void): void {
  open(dir, 'r', (err, fd) => {
    if (err) return done(err);
    fsync(fd, (e) => close(fd, () => done(e)));
  });
}

export interface WalSyncOptions {
  /** Syncs in flight at most (default 1: one at a time). */
  maxInFlight?: number;
  sync?: SyncFn;
  /** Syncs the WAL's folder (default: fsync off the thread; a test may make it synchronous). */
  syncDir?: (dir: string, done: (err: NodeJS.ErrnoException | null) => void) => void;
  /** Called when a sync has ended and none is waiting to start: commits held back meanwhile may go now (see `busy`). */
  onIdle?: () => void;
}

export class WalSync {
  /** WAL syncs started so far (inspect()). */
  syncs = 0;
  /** Waits told to after() so far, and how many of the first of them a sync that ended has covered. */
  private told = 0;
  private synced = 0;
  /** How many of the waits told the newest sync started covers. */
  private startedCovers = 0;
  private fd = -1;
  /** Groups whose sync is running, oldest first. */
  private inFlight: Waiter[][] = [];
  private waiting: Waiter[] = [];
  private failed: string | null = null;
  private closed = false;
  private readonly path: string;
  private readonly enabled: boolean;
  private readonly maxInFlight: number;
  private readonly sync: SyncFn;
  private readonly syncDir: (dir: string, done: (err: NodeJS.ErrnoException | null) => void) => void;
  /** The WAL's directory entry is durable (synced once, with the first sync). */
  private dirSynced = false;
  private readonly onError: (error: string, waiters: number) => void;
  private readonly onIdle: (() => void) | undefined;

  /** `enabled` false (durability 'normal'): nothing is synced and every wait ends at once. */
  constructor(walPath: string, enabled: boolean, onError: (error: string, waiters: number) => void, o: WalSyncOptions = {}) {
    this.path = walPath;
    this.enabled = enabled;
    this.onError = onError;
    this.maxInFlight = Math.max(1, o.maxInFlight ?? 1);
    this.sync = o.sync ?? fdatasync;
    this.syncDir = o.syncDir ?? syncFolder;
    this.onIdle = o.onIdle;
  }

  /** No new sync could start now: a commit made now would wait for the next one anyway. */
  get busy(): boolean {
    return this.enabled && this.failed === null && this.inFlight.length >= this.maxInFlight;
  }

  /** The WAL's descriptor (opened once; its folder is synced with the first sync: start()). */
  private wal(): number {
    if (this.fd < 0) this.fd = openSync(this.path, 'r+');
    return this.fd;
  }

  /** The folder's sync, synchronously (the draw record, close) when no sync has done it yet. */
  private syncDirNow(): void {
    if (this.dirSynced) return;
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.dirSynced = true;
  }

  /** Synchronous sync (the draw record): the reply follows it. */
  now(): void {
    if (this.failed !== null) throw new Error(this.failed);
    if (!this.enabled) return;
    fdatasyncSync(this.wal());
    this.syncDirNow();
  }

  /**
   * Calls ok() once every commit told to after() so far is on disk: at once when no sync is waiting
   * or running (each of those commits has had its sync end), else as after() does. For answers
   * that depend on earlier commits only, not on one of their own (the lottery's resume query).
   */
  settled(ok: () => void, fail: (reason: string) => void): void {
    if (this.enabled && this.failed === null) {
      if (this.synced === this.told) return ok();
      // The newest running sync covers every commit told so far: its end answers this too.
      if (this.inFlight.length > 0 && this.waiting.length === 0 && this.startedCovers === this.told) {
        this.inFlight[this.inFlight.length - 1].push({ ok, fail });
        return;
      }
    }
    this.after(ok, fail);
  }

  /** Calls ok() once everything committed so far is on disk (or fail() if that cannot be). */
  after(ok: () => void, fail: (reason: string) => void): void {
    if (!this.enabled) return ok();
    if (this.failed !== null) return fail(this.failed);
    this.told++;
    this.waiting.push({ ok, fail });
    if (this.inFlight.length < this.maxInFlight) this.start();
  }

  private start(): void {
    const group = this.waiting;
    this.waiting = [];
    let fd: number;
    try {
      fd = this.wal();
    } catch (err) {
      // The WAL could not be opened: nothing was synced, so only this group fails (not sticky).
      const reason = `wal sync failed: ${(err as Error).message}`;
      this.onError(reason, group.length);
      for (const w of group) w.fail(reason);
      return;
    }
    this.inFlight.push(group);
    const covers = this.told;
    this.startedCovers = covers;
    this.syncs++;
    // The WAL file may just have been created: its directory entry is synced (once) before the
    // first sync counts, off the thread like the sync itself.
    const run = (done: (err: NodeJS.ErrnoException | null) => void): void => {
      if (this.dirSynced) return this.sync(fd, done);
      this.syncDir(dirname(this.path), (err) => {
        if (this.closed) return done(null); // settled by close(), which syncs both itself
        if (err) return done(err);
        this.dirSynced = true;
        this.sync(fd, done);
      });
    };
    run((err) => {
      if (this.closed) return; // settled by close()
      // A failure counts even when a later sync already settled this group: nothing more is acknowledged.
      if (err) return this.failed === null ? this.failAll(`wal sync failed: ${err.message}`, []) : undefined;
      const i = this.inFlight.indexOf(group);
      if (i < 0) return; // settled already by a later sync, or failed
      // Everything older was committed before this sync started: settled with it, in order.
      this.synced = Math.max(this.synced, covers);
      for (const g of this.inFlight.splice(0, i + 1)) for (const w of g) w.ok();
      if (this.waiting.length > 0 && this.inFlight.length < this.maxInFlight) this.start();
      else if (this.inFlight.length === 0) this.onIdle?.();
    });
  }

  private failAll(reason: string, extra: Waiter[]): void {
    this.failed = reason;
    const all = [...this.inFlight.flat(), ...extra, ...this.waiting];
    this.inFlight = [];
    this.waiting = [];
    this.onError(reason, all.length);
    for (const w of all) w.fail(reason);
  }

  /** Shutdown: one synchronous sync settles every reply still waiting; the file is closed. */
  close(): void {
    this.closed = true;
    const waiting = [...this.inFlight.flat(), ...this.waiting];
    this.inFlight = [];
    this.waiting = [];
    if (this.fd < 0 && waiting.length === 0) return;
    let error: string | null = this.failed;
    if (error === null && (this.fd >= 0 || waiting.length > 0)) {
      try {
        fdatasyncSync(this.wal());
        this.syncDirNow();
      } catch (err) {
        error = `wal sync failed: ${(err as Error).message}`;
      }
    }
    for (const w of waiting) {
      if (error === null) w.ok();
      else w.fail(error);
    }
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
