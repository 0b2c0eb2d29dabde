// Durability without blocking the BetStore's thread (betstore.ts): SQLite runs with
// synchronous=NORMAL and this syncs the WAL file itself (fdatasync, as SQLite does on Linux) off
// the thread, in the libuv pool. One sync runs at a time; everything committed while it runs waits
// for the next one, which then covers all of it (group commit without waiting on purpose).

import { closeSync, fdatasync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

interface Waiter {
  ok: () => void;
  fail: (reason: string) => void;
}

export class WalSync {
  /** WAL syncs started so far (inspect()). */
  syncs = 0;
  private fd = -1;
  private syncing: Waiter[] | null = null;
  private waiting: Waiter[] = [];
  private readonly path: string;
  private readonly enabled: boolean;
  private readonly onError: (error: string, waiters: number) => void;

  /** `enabled` false (durability 'normal'): nothing is synced and every wait ends at once. */
  constructor(walPath: string, enabled: boolean, onError: (error: string, waiters: number) => void) {
    this.path = walPath;
    this.enabled = enabled;
    this.onError = onError;
  }

  private wal(): number {
    if (this.fd < 0) {
      this.fd = openSync(this.path, 'r+');
      // The WAL file's directory entry must be durable too (it may have just been created).
      const dir = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    return this.fd;
  }

  /** Synchronous sync (the draw record): the reply follows it. */
  now(): void {
    if (this.enabled) fdatasyncSync(this.wal());
  }

  /** Calls ok() once everything committed so far is on disk. */
  after(ok: () => void, fail: (reason: string) => void): void {
    if (!this.enabled) return ok();
    this.waiting.push({ ok, fail });
    if (this.syncing === null) this.start();
  }

  private start(): void {
    const group = this.waiting;
    this.waiting = [];
    this.syncing = group;
    let fd: number;
    try {
      fd = this.wal();
    } catch (err) {
      this.syncing = null;
      for (const w of group) w.fail(`wal sync failed: ${(err as Error).message}`);
      return;
    }
    this.syncs++;
    fdatasync(fd, (err) => {
      if (this.syncing !== group) return; // settled by close() (synchronous sync at shutdown)
      this.syncing = null;
      if (err) {
        this.onError(err.message, group.length);
        for (const w of group) w.fail(`wal sync failed: ${err.message}`);
      } else for (const w of group) w.ok();
      if (this.waiting.length > 0) this.start();
    });
  }

  /** Shutdown: one synchronous sync settles every reply still waiting; the file is closed. */
  close(): void {
    const waiting = [...(this.syncing ?? []), ...this.waiting];
    this.syncing = null;
    this.waiting = [];
    if (this.fd < 0 && waiting.length === 0) return;
    let error: string | null = null;
    try {
      fdatasyncSync(this.wal());
    } catch (err) {
      error = `wal sync failed: ${(err as Error).message}`;
    }
    for (const w of waiting) {
      if (error === null) w.ok();
      else w.fail(error);
    }
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
