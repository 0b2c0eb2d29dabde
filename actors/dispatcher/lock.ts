// The single-instance lock (dispatcher.md §7.2): the lock file (`LockFile`; compat: `IpcFile`) is
// created exclusively with {"pid","startedAt","ip","port","name"}. A live holder refuses the start
// (exit 3); a dead holder's file, or a file that is not ours (an original IpcFile), is replaced.
// Released on every orderly exit; a file left by SIGKILL is stale and replaced next time.

import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LockInfo {
  pid: number;
  startedAt: string;
  ip: string;
  port: number;
  name: string;
}

export type LockResult = { ok: true; info: LockInfo } | { ok: false; holder: LockInfo; message: string };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (v && typeof v === 'object' && Number.isInteger(v.pid) && (v.pid as number) > 0 && typeof v.startedAt === 'string') return v as LockInfo;
  } catch {
    // unreadable or not ours: stale
  }
  return null;
}

export function acquireLock(file: string, who: { ip: string; port: number; name: string }): LockResult {
  const info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString(), ...who };
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      try {
        writeSync(fd, `${JSON.stringify(info)}\n`);
      } finally {
        closeSync(fd);
      }
      return { ok: true, info };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readLock(file);
    if (holder !== null && alive(holder.pid)) {
      return { ok: false, holder, message: `${who.name} already running (pid ${holder.pid}, lock ${file})` };
    }
    rmSync(file, { force: true }); // stale (dead pid) or not ours (e.g. an original IpcFile)
  }
  throw new Error(`cannot create the lock file ${file}`);
}

/** Removes the lock if it is still ours. */
export function releaseLock(file: string, info: LockInfo): void {
  const cur = readLock(file);
  if (cur !== null && cur.pid === info.pid && cur.startedAt === info.startedAt) rmSync(file, { force: true });
}
