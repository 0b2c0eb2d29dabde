// File-change connections (eventdispatcher.md §3.1 masks) over real files: both backends
// (inotifywait and the fs.watch fallback), and the mask mapping as a property.

import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, rmdirSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ActorSystem, defineActor } from '../../runtime/index.ts';
import { FileWatchConnection, type FileWatchProps, type KindReport } from '../../actors/eventdispatcher/kinds.ts';
import { ALWAYS_REPORTED, FILE_EVENT, inotifyEventsFor, maskFromInotify, reportable } from '../../actors/eventdispatcher/file-masks.ts';
import { findInotifywait } from '../../actors/eventdispatcher/file-watch.ts';
import { waitFor } from './helpers.ts';

const reports: KindReport[] = [];
const Owner = defineActor<KindReport, FileWatchProps>(import.meta.url, 'FwOwner', (p, ctx) => ({
  started() {
    ctx.spawn(FileWatchConnection, { name: 'w', props: p });
  },
  receive(msg) {
    reports.push(msg);
  },
}));

const events = (id: string) => reports.flatMap((r) => (r.t === 'ed-file' && r.id === id ? [r] : []));
const has = (id: string, filename: string, bits: number) => events(id).some((e) => e.filename === filename && (e.mask & bits) === bits);
const ALL = Object.values(FILE_EVENT).reduce((a, b) => a | b, 0) & ~FILE_EVENT.RECURSIVE;
const INOTIFY_NAMES = ['ACCESS', 'MODIFY', 'ATTRIB', 'CLOSE_WRITE', 'CLOSE_NOWRITE', 'OPEN', 'MOVED_FROM', 'MOVED_TO', 'CREATE', 'DELETE', 'DELETE_SELF', 'MOVE_SELF', 'UNMOUNT', 'Q_OVERFLOW', 'IGNORED'];

describe('eventdispatcher file-change masks', () => {
  let sys: ActorSystem;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ed-fw-'));
    sys = await ActorSystem.start({ threads: 0, logLevel: process.env.LOG_LEVEL ?? 'silent', statsIntervalMs: 0 });
  });
  after(async () => {
    await sys.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('property: every event a watch reports is one it subscribed to; errors always come; DIRECTORY alone is never an event', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fff }), fc.subarray(INOTIFY_NAMES, { minLength: 1, maxLength: 3 }), fc.boolean(), (wanted, names, isDir) => {
        const mask = maskFromInotify([...names, ...(isDir ? ['ISDIR'] : [])].join(','));
        const out = reportable(mask, wanted);
        const subscribed = new Set(inotifyEventsFor(wanted));
        if (out === 0) return;
        assert.equal(out & ~(wanted | ALWAYS_REPORTED | FILE_EVENT.DIRECTORY), 0);
        assert.notEqual(out & ~FILE_EVENT.DIRECTORY, 0);
        if (isDir) assert.ok(out & FILE_EVENT.DIRECTORY);
        // A non-error bit reported means one of its events was asked of inotify.
        if ((out & ~(ALWAYS_REPORTED | FILE_EVENT.DIRECTORY)) !== 0) assert.ok(names.some((n) => subscribed.has(n.toLowerCase())), `${names} not subscribed for ${wanted}`);
      }),
      { numRuns: 500 },
    );
    assert.equal(maskFromInotify('CLOSE_WRITE,CLOSE'), FILE_EVENT.ACCESS | FILE_EVENT.UPDATED);
    assert.equal(maskFromInotify('CREATE,ISDIR'), FILE_EVENT.CREATED | FILE_EVENT.DIRECTORY);
    assert.deepEqual(inotifyEventsFor(FILE_EVENT.UPDATED), ['close_write', 'unmount']);
  });

  it('inotify: every mask Linux can tell, with its real meaning', async (t) => {
    if (findInotifywait() === null) return t.skip('inotifywait is not installed (apt-get install inotify-tools): the inotify backend is not tested here');
    const root = join(dir, 'inotify');
    mkdirSync(root);
    writeFileSync(join(root, 'old.txt'), 'before');
    const owner = sys.spawn(Owner, { name: 'fw-inotify', props: { id: 'i', path: root, mask: ALL, backend: 'inotify' } });
    await waitFor(() => reports.some((r) => r.t === 'ed-file-ready' && r.id === 'i' && r.backend === 'inotify'), 'the watch');
    assert.ok(has('i', 'old.txt', FILE_EVENT.EXISTS), 'EXISTS for the file present at start');
    const a = join(root, 'a.txt');
    const fd = openSync(a, 'w');
    await waitFor(() => has('i', 'a.txt', FILE_EVENT.CREATED), 'CREATED');
    writeSync(fd, 'x');
    await waitFor(() => has('i', 'a.txt', FILE_EVENT.WRITE), 'WRITE');
    assert.ok(!has('i', 'a.txt', FILE_EVENT.UPDATED), 'no UPDATED before the close');
    closeSync(fd);
    await waitFor(() => has('i', 'a.txt', FILE_EVENT.UPDATED | FILE_EVENT.ACCESS), 'UPDATED on close after write');
    readFileSync(a);
    await waitFor(() => has('i', 'a.txt', FILE_EVENT.READ), 'READ');
    chmodSync(a, 0o600);
    await waitFor(() => has('i', 'a.txt', FILE_EVENT.ATTRIBUTES), 'ATTRIBUTES');
    mkdirSync(join(root, 'sub'));
    await waitFor(() => has('i', 'sub', FILE_EVENT.CREATED | FILE_EVENT.DIRECTORY), 'CREATED | DIRECTORY');
    renameSync(a, join(root, 'b.txt'));
    await waitFor(() => has('i', 'a.txt', FILE_EVENT.DELETED) && has('i', 'b.txt', FILE_EVENT.CREATED), 'a rename: DELETED then CREATED');
    unlinkSync(join(root, 'b.txt'));
    unlinkSync(join(root, 'old.txt'));
    rmdirSync(join(root, 'sub'));
    await waitFor(() => has('i', 'b.txt', FILE_EVENT.DELETED) && has('i', 'sub', FILE_EVENT.DELETED | FILE_EVENT.DIRECTORY), 'DELETED');
    rmdirSync(root);
    await waitFor(() => has('i', '', FILE_EVENT.GONE), 'GONE once the watched folder is removed');
    assert.ok(!events('i').some((e) => e.mask & FILE_EVENT.ERROR), 'no ERROR');
    await sys.stopActor(owner);
  });

  it('inotify: a watch asking only for UPDATED hears nothing of reads, opens or attribute changes', async (t) => {
    if (findInotifywait() === null) return t.skip('inotifywait is not installed (apt-get install inotify-tools)');
    const root = join(dir, 'updated-only');
    mkdirSync(root);
    const owner = sys.spawn(Owner, { name: 'fw-upd', props: { id: 'u', path: root, mask: FILE_EVENT.UPDATED, backend: 'inotify' } });
    await waitFor(() => reports.some((r) => r.t === 'ed-file-ready' && r.id === 'u'), 'the watch');
    const f = join(root, 'f');
    writeFileSync(f, 'one');
    // inotify merges identical events still queued: wait for the first before the second.
    await waitFor(() => events('u').length === 1, 'the first UPDATED');
    readFileSync(f);
    chmodSync(f, 0o600);
    writeFileSync(f, 'two');
    await waitFor(() => events('u').filter((e) => e.filename === 'f').length >= 2, 'two UPDATED');
    for (const e of events('u')) assert.equal(e.mask, FILE_EVENT.UPDATED, `unexpected mask ${e.mask.toString(16)}`);
    await sys.stopActor(owner);
  });

  it('fs.watch fallback: EXISTS, CREATED, WRITE told from ATTRIBUTES by size and mtime, DELETED', async () => {
    const root = join(dir, 'fswatch');
    mkdirSync(root);
    writeFileSync(join(root, 'old.txt'), 'before');
    const owner = sys.spawn(Owner, { name: 'fw-fs', props: { id: 'f', path: root, mask: ALL, backend: 'fs.watch' } });
    await waitFor(() => reports.some((r) => r.t === 'ed-file-ready' && r.id === 'f' && r.backend === 'fs.watch'), 'the watch');
    assert.ok(has('f', 'old.txt', FILE_EVENT.EXISTS));
    chmodSync(join(root, 'old.txt'), 0o600);
    await waitFor(() => has('f', 'old.txt', FILE_EVENT.ATTRIBUTES), 'ATTRIBUTES for a chmod');
    assert.ok(!has('f', 'old.txt', FILE_EVENT.WRITE), 'a chmod is not a WRITE');
    appendFileSync(join(root, 'old.txt'), 'more');
    await waitFor(() => has('f', 'old.txt', FILE_EVENT.WRITE), 'WRITE for an append');
    writeFileSync(join(root, 'new.txt'), 'x');
    await waitFor(() => has('f', 'new.txt', FILE_EVENT.CREATED), 'CREATED');
    unlinkSync(join(root, 'new.txt'));
    await waitFor(() => has('f', 'new.txt', FILE_EVENT.DELETED), 'DELETED');
    await sys.stopActor(owner);
  });

  it('a path that does not exist is one ERROR event', async () => {
    const owner = sys.spawn(Owner, { name: 'fw-missing', props: { id: 'm', path: join(dir, 'nope'), backend: 'inotify' } });
    if (findInotifywait() !== null) await waitFor(() => has('m', '', FILE_EVENT.ERROR), 'ERROR');
    await sys.stopActor(owner);
  });
});
