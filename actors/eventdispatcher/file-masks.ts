// The file-change masks of eventdispatcher.md §3.1 and their meaning in Linux inotify terms, as
// upstream maps them (file_changed::events_to_mask / mask_to_events), pure so it is property-tested:
//   ATTRIBUTES  IN_ATTRIB (chmod, chown, touch, xattr)
//   READ        IN_ACCESS (read, execve)
//   WRITE       IN_MODIFY (write, truncate)
//   CREATED     IN_CREATE, IN_MOVED_TO
//   DELETED     IN_DELETE, IN_DELETE_SELF, IN_MOVED_FROM, IN_MOVE_SELF
//   ACCESS      IN_OPEN, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE
//   UPDATED     IN_CLOSE_WRITE (opened, written, closed)
//   EXISTS      not an inotify event: each entry present when the watch starts
//   RECURSIVE   a watch flag: sub-directories are watched too
//   LOST_SYNC   IN_Q_OVERFLOW          \
//   ERROR       the watch failed        | reported whether asked for or not
//   GONE        IN_IGNORED (the watch   |
//               ended: path deleted)    |
//   UNMOUNTED   IN_UNMOUNT             /
//   DIRECTORY   IN_ISDIR: added to any event about a directory
// [FIX] upstream's mask_to_events maps IN_MOVED_FROM to CREATED and IN_MOVED_TO to DELETED
// (swapped against events_to_mask's intent); a name moved in is CREATED here, moved out DELETED.

export const FILE_EVENT = {
  ATTRIBUTES: 0x1,
  READ: 0x2,
  WRITE: 0x4,
  CREATED: 0x8,
  DELETED: 0x10,
  ACCESS: 0x20,
  UPDATED: 0x40,
  EXISTS: 0x80,
  RECURSIVE: 0x100,
  LOST_SYNC: 0x400,
  ERROR: 0x800,
  DIRECTORY: 0x1000,
  GONE: 0x2000,
  UNMOUNTED: 0x4000,
} as const;

/** Reported whether or not the watch asked for them. */
export const ALWAYS_REPORTED = FILE_EVENT.LOST_SYNC | FILE_EVENT.ERROR | FILE_EVENT.GONE | FILE_EVENT.UNMOUNTED;

/** inotify event name (as inotifywait prints it) -> mask bits. */
const FROM_INOTIFY: Record<string, number> = {
  ATTRIB: FILE_EVENT.ATTRIBUTES,
  ACCESS: FILE_EVENT.READ,
  MODIFY: FILE_EVENT.WRITE,
  CREATE: FILE_EVENT.CREATED,
  MOVED_TO: FILE_EVENT.CREATED,
  DELETE: FILE_EVENT.DELETED,
  DELETE_SELF: FILE_EVENT.DELETED,
  MOVED_FROM: FILE_EVENT.DELETED,
  MOVE_SELF: FILE_EVENT.DELETED,
  OPEN: FILE_EVENT.ACCESS,
  CLOSE_WRITE: FILE_EVENT.ACCESS | FILE_EVENT.UPDATED,
  CLOSE_NOWRITE: FILE_EVENT.ACCESS,
  Q_OVERFLOW: FILE_EVENT.LOST_SYNC,
  IGNORED: FILE_EVENT.GONE,
  UNMOUNT: FILE_EVENT.UNMOUNTED,
  ISDIR: FILE_EVENT.DIRECTORY,
};

/** Wanted mask bit -> the inotify events to subscribe to (inotifywait `-e` names). */
const TO_INOTIFY: [number, string[]][] = [
  [FILE_EVENT.ATTRIBUTES, ['attrib']],
  [FILE_EVENT.READ, ['access']],
  [FILE_EVENT.WRITE, ['modify']],
  [FILE_EVENT.CREATED, ['create', 'moved_to']],
  [FILE_EVENT.DELETED, ['delete', 'delete_self', 'moved_from', 'move_self']],
  [FILE_EVENT.ACCESS, ['open', 'close_write', 'close_nowrite']],
  [FILE_EVENT.UPDATED, ['close_write']],
];

/** The inotify events a watch for `wanted` subscribes to (sorted, unique; unmount always). */
export function inotifyEventsFor(wanted: number): string[] {
  const names = new Set<string>(['unmount']);
  for (const [bit, events] of TO_INOTIFY) if ((wanted & bit) !== 0) for (const e of events) names.add(e);
  return [...names].sort();
}

/** The mask of one inotify event line's names (e.g. `CLOSE_WRITE,CLOSE` or `CREATE,ISDIR`). */
export function maskFromInotify(names: string): number {
  let mask = 0;
  for (const n of names.split(',')) mask |= FROM_INOTIFY[n] ?? 0;
  return mask;
}

/** What a watch for `wanted` reports of an event with `mask` (0: nothing). */
export function reportable(mask: number, wanted: number): number {
  const kept = mask & (wanted | ALWAYS_REPORTED);
  const meaningful = kept & ~FILE_EVENT.DIRECTORY;
  return meaningful === 0 ? 0 : kept | (mask & FILE_EVENT.DIRECTORY);
}

/** Masks that the fs.watch fallback cannot deliver (Node reports neither reads, opens, closes nor overflows). */
export const FS_WATCH_BLIND = FILE_EVENT.READ | FILE_EVENT.ACCESS | FILE_EVENT.UPDATED | FILE_EVENT.LOST_SYNC | FILE_EVENT.UNMOUNTED;
