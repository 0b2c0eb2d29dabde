// The single-instance lock (dispatcher.md §7.2): the lock file (`LockFile`; compat: `IpcFile`) is
// created exclusively with {"pid","startedAt","ip","port","name"} (written to a temporary file and
// linked into place, so the lock never exists without its content). A live holder refuses the
// start (exit 3). A file is replaced only when it is recognisably ours with a dead owner, or an
// original dispatcher's IpcFile (SysV ids only); anything else at that path (a directory, another
// program's file) is left untouched and is a configuration error (exit 2). The lock's folder is
// created only when the configuration says so (`CreateLockFolder`). Released on every orderly
// exit; a file left by SIGKILL is stale and replaced next time.

import { closeSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LockInfo {
  pid: number;
  startedAt: string;
  ip: string;
  port: number;
  name: string;
}

export type LockResult = { ok: true; info: LockInfo } | { ok: false; exitCode: number; message: string };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Our lock content, parsed: every field present with its type. */
export function parseLock(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (
      v !== null && typeof v === 'object' && Number.isInteger(v.pid) && (v.pid as number) > 0 && typeof v.startedAt === 'string' &&
      typeof v.ip === 'string' && Number.isInteger(v.port) && typeof v.name === 'string'
    ) return v as LockInfo;
  } catch {
    // not JSON: not ours
  }
  return null;
}

/** The original dispatcher's IpcFile: only its SysV id lines (`msg_common_id=1`...). */
export function isOriginalIpcFile(text: string): boolean {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.length > 0 && lines.every((l) => /^(msg_common_id|sem_conn_id|shm_conn_id|shm_ips_id)\s*[=:\s]\s*-?\d+$/.test(l));
}

type Existing = { kind: 'ours'; info: LockInfo } | { kind: 'original' } | { kind: 'gone' } | { kind: 'foreign'; what: string };

function inspectExisting(file: string): Existing {
  let text: string;
  try {
    const st = lstatSync(file);
    if (st.isDirectory()) return { kind: 'foreign', what: 'is a directory' };
    if (!st.isFile()) return { kind: 'foreign', what: 'is not a regular file' };
    if (st.size > 64 * 1024) return { kind: 'foreign', what: 'is not a dispatcher lock file' };
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    return { kind: 'foreign', what: `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  const info = parseLock(text);
  if (info !== null) return { kind: 'ours', info };
  if (isOriginalIpcFile(text)) return { kind: 'original' };
  return { kind: 'foreign', what: 'is not a dispatcher lock file' };
}

/** Creates `file` with `content` only if it does not exist (false: it exists). */
function createExclusive(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Never throws: every failure is a result with its exit code and one line. */
export function acquireLock(file: string, who: { ip: string; port: number; name: string }, o: { createFolder?: boolean } = {}): LockResult {
  const info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString(), ...who };
  const where = `${who.name}: lock file ${file}`;
  const folder = dirname(file);
  try {
    if (o.createFolder) mkdirSync(folder, { recursive: true });
    else if (!lstatSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
      return { ok: false, exitCode: 2, message: `${where}: the folder ${folder} does not exist (create it, or set CreateLockFolder: true)` };
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      if (createExclusive(file, `${JSON.stringify(info)}\n`)) return { ok: true, info };
      const found = inspectExisting(file);
      if (found.kind === 'foreign') return { ok: false, exitCode: 2, message: `${where} ${found.what}; not touched (choose another LockFile, or remove it yourself)` };
      if (found.kind === 'ours' && alive(found.info.pid)) {
        return { ok: false, exitCode: 3, message: `${who.name} already running (pid ${found.info.pid}, lock ${file})` };
      }
      if (found.kind !== 'gone') rmSync(file, { force: true }); // ours with a dead owner, or the original's IpcFile
    }
    return { ok: false, exitCode: 1, message: `${where}: cannot be created (another process keeps replacing it)` };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, exitCode: 2, message: `${where}: cannot be created (${e.code ?? e.message})` };
  }
}

/** Removes the lock if it is still ours. */
export function releaseLock(file: string, info: LockInfo): void {
  let cur: LockInfo | null = null;
  try {
    cur = parseLock(readFileSync(file, 'utf8'));
  } catch {
    return;
  }
  if (cur !== null && cur.pid === info.pid && cur.startedAt === info.startedAt) rmSync(file, { force: true });
}
