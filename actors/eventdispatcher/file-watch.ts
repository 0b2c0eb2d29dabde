// The two ways a file-change connection watches a path (masks in file-masks.ts):
//   inotify   Debian's inotifywait (package inotify-tools) as a child process: every inotify event,
//             so every §3.1 mask has its real meaning (READ, ACCESS, UPDATED, ATTRIBUTES...).
//             Node has no inotify binding of its own, and npm's need a compiler at install.
//   fs.watch  the fallback when inotifywait is not installed: Node folds inotify into `rename`
//             and `change`, so CREATED/DELETED come from whether the name exists now, and
//             WRITE/ATTRIBUTES from whether size or mtime moved; READ, ACCESS, UPDATED,
//             LOST_SYNC and UNMOUNTED cannot be seen (FS_WATCH_BLIND).
// Both call the sink from the owner's thread; `stop()` ends the watch and nothing runs after it.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, watch, type Stats } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { FILE_EVENT, inotifyEventsFor, maskFromInotify } from './file-masks.ts';

export interface WatchSink {
  /** One event: its mask bits (before the wanted filter) and the name relative to the watched path. */
  event(mask: number, filename: string): void;
  /** The watch is in place: changes from now on are seen. */
  ready(): void;
  /** The watch failed (one line); an ERROR event follows. */
  error(message: string): void;
}

export interface Watch {
  readonly backend: 'inotify' | 'fs.watch';
  stop(): void;
}

let inotifywait: string | null | undefined;

/** The inotifywait executable on PATH, or null (looked up once). */
export function findInotifywait(): string | null {
  if (inotifywait !== undefined) return inotifywait;
  inotifywait = null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, 'inotifywait');
    if (dir !== '' && existsSync(p)) return (inotifywait = p);
  }
  return inotifywait;
}

export function watchWithInotify(path: string, wanted: number, sink: WatchSink): Watch {
  const exe = findInotifywait();
  if (exe === null) throw new Error('inotifywait is not installed (Debian package inotify-tools)');
  const args = ['-m', '--format', '%e%0%w%0%f%0', '-e', inotifyEventsFor(wanted).join(',')];
  if ((wanted & FILE_EVENT.RECURSIVE) !== 0) args.push('-r');
  const child = spawn(exe, [...args, '--', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stopped = false;
  let pending = '';
  let errText = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    const fields = (pending + d).split('\0');
    // Whole events are three NUL-terminated fields: events, watched folder, name.
    const whole = Math.floor((fields.length - 1) / 3) * 3;
    pending = fields.slice(whole).join('\0');
    for (let i = 0; i < whole; i += 3) {
      // inotifywait ends each event with a newline after the format: it leads the next one.
      const names = fields[i]!.replace(/^\n/, '');
      if (stopped) return;
      const filename = relative(path, join(fields[i + 1]!, fields[i + 2]!));
      sink.event(maskFromInotify(names), filename);
      // The watched path itself deleted, moved away or unmounted: the watch is over (GONE).
      if (filename === '' && /(^|,)(DELETE_SELF|MOVE_SELF|UNMOUNT|IGNORED)(,|$)/.test(names)) {
        stopped = true;
        child.kill('SIGTERM');
        sink.event(FILE_EVENT.GONE, '');
        return;
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (d.includes('Watches established.')) sink.ready();
    errText += d.replace(/Setting up watches\.( +Beware: since -r was given, this may take a while!)?\n?|Watches established\.\n?/g, '');
  });
  child.on('error', (err) => {
    if (!stopped) sink.error(`file watch on ${path}: ${err.message}`);
  });
  child.on('exit', (code, signal) => {
    if (stopped) return;
    stopped = true;
    sink.error(`file watch on ${path} ended: ${errText.trim().split('\n')[0] || `inotifywait exited with ${signal ?? code}`}`);
  });
  return {
    backend: 'inotify',
    stop() {
      stopped = true;
      child.kill('SIGTERM');
    },
  };
}

export function watchWithFs(path: string, wanted: number, sink: WatchSink): Watch {
  const isDir = statSync(path).isDirectory();
  const seen = new Map<string, Pick<Stats, 'size' | 'mtimeMs'>>();
  const statOf = (p: string): Stats | undefined => statSync(p, { throwIfNoEntry: false });
  const watcher = watch(path, { persistent: false, recursive: (wanted & FILE_EVENT.RECURSIVE) !== 0 });
  let stopped = false;
  watcher.on('change', (type, name) => {
    if (stopped) return;
    const filename = name === null ? '' : String(name);
    const full = isDir && filename !== '' ? join(path, filename) : path;
    const st = statOf(full);
    const dirBit = st?.isDirectory() ? FILE_EVENT.DIRECTORY : 0;
    if (type === 'change') {
      // Content moved when size or mtime did; otherwise only the inode changed (chmod, chown).
      const before = seen.get(full);
      const wrote = st === undefined || before === undefined || before.size !== st.size || before.mtimeMs !== st.mtimeMs;
      if (st !== undefined) seen.set(full, { size: st.size, mtimeMs: st.mtimeMs });
      sink.event((wrote ? FILE_EVENT.WRITE : FILE_EVENT.ATTRIBUTES) | dirBit, filename);
      return;
    }
    if (st !== undefined) seen.set(full, { size: st.size, mtimeMs: st.mtimeMs });
    else seen.delete(full);
    sink.event((st !== undefined ? FILE_EVENT.CREATED : FILE_EVENT.DELETED) | dirBit, filename);
    if (!existsSync(path)) {
      stopped = true;
      watcher.close();
      sink.event(FILE_EVENT.GONE, '');
    }
  });
  watcher.on('error', (err) => {
    if (!stopped) sink.error(`file watch on ${path}: ${err.message}`);
  });
  // Remember sizes and times now, so the first change of an existing file is told apart too.
  for (const e of isDir ? readdirSync(path) : ['']) {
    const full = e === '' ? path : join(path, e);
    const st = statOf(full);
    if (st !== undefined) seen.set(full, { size: st.size, mtimeMs: st.mtimeMs });
  }
  queueMicrotask(() => sink.ready());
  return {
    backend: 'fs.watch',
    stop() {
      stopped = true;
      watcher.close();
    },
  };
}

/** EXISTS events: the watched path's entries (recursively with RECURSIVE), or the file itself. */
export function existingEntries(path: string, recursive: boolean): { filename: string; dir: boolean }[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [{ filename: '', dir: false }];
  return readdirSync(path, { withFileTypes: true, recursive }).map((d) => ({
    filename: relative(path, join(d.parentPath, d.name)),
    dir: d.isDirectory(),
  }));
}
