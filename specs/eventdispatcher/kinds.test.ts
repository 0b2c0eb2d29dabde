// The other connection kinds over real files, FIFOs, threads, signals and Unix datagram sockets.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, unlinkSync, writeFileSync, writeSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { ActorSystem, defineActor, type ActorDef } from '../../runtime/index.ts';
import { FileWatchConnection, FifoConnection, FILE_EVENT, ThreadDoneConnection, TimerConnection, type KindReport, type TimerMsg } from '../../actors/eventdispatcher/kinds.ts';
import { DatagramMessageServer, SignalConnection, messageFrom } from '../../actors/eventdispatcher/links.ts';
import { encodeDatagram, UNIX_DATAGRAM_MAX } from '../../actors/eventdispatcher/datagram.ts';
import { sendUnixDatagram } from '../../runtime/io/unix-datagram.ts';
import { waitFor } from './helpers.ts';

const reports: (KindReport & { at: number })[] = [];

/** Spawns one child connection and records what it reports. */
const Owner = defineActor<KindReport, { def: string; name: string; props: unknown }>(import.meta.url, 'Owner', (p, ctx) => ({
  async started() {
    const [module, name] = p.def.split('#');
    const mod = (await import(module)) as Record<string, ActorDef<unknown, unknown>>;
    ctx.spawn(mod[name], { name: p.name, props: p.props });
  },
  receive(msg) {
    reports.push({ ...msg, at: performance.now() });
  },
}));

const KINDS = new URL('../../actors/eventdispatcher/kinds.ts', import.meta.url).href;
const LINKS = new URL('../../actors/eventdispatcher/links.ts', import.meta.url).href;
const of = <T extends KindReport['t']>(id: string, t: T) => reports.filter((r) => r.t === t && r.id === id) as unknown as Extract<KindReport, { t: T }>[];

describe('eventdispatcher connection kinds', () => {
  let sys: ActorSystem;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ed-kinds-'));
    sys = await ActorSystem.start({ threads: 0, logLevel: process.env.LOG_LEVEL ?? 'silent', statsIntervalMs: 0 });
  });
  after(async () => {
    await sys.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  void [FileWatchConnection, FifoConnection, ThreadDoneConnection, TimerConnection, DatagramMessageServer, SignalConnection];

  it('timer: periodic on its grid; disabled gets nothing; after re-enable one overdue tick, not a burst', async () => {
    const owner = sys.spawn(Owner, { name: 'timer-owner', props: { def: `${KINDS}#TimerConnection`, name: 't', props: { id: 't', timeoutUs: 200_000 } } });
    await waitFor(() => of('t', 'ed-timeout').length >= 3, 'three ticks');
    const ref = sys.refFor<TimerMsg>('/timer-owner/t', -1);
    ref.tell({ t: 'enable', on: false });
    await new Promise((r) => setTimeout(r, 100));
    const before = of('t', 'ed-timeout').length;
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(of('t', 'ed-timeout').length, before, 'no tick while disabled');
    const reenabledAt = performance.now();
    ref.tell({ t: 'enable', on: true });
    await waitFor(() => of('t', 'ed-timeout').length === before + 1, 'the overdue tick');
    const ticks = reports.filter((r) => r.t === 'ed-timeout' && r.id === 't');
    assert.ok(ticks[before].at - reenabledAt < 190, `the overdue tick fires at once (after ${ticks[before].at - reenabledAt} ms)`);
    assert.equal(of('t', 'ed-timeout').length, before + 1, 'one tick, not a burst for the missed grid points');
    // One tick per grid point (start + k*200 ms): a late delivery may bring the next closer, never half a period.
    const t = of('t', 'ed-timeout').map((x) => x.atUs);
    for (let i = 1; i < before; i++) assert.ok(t[i] - t[i - 1] >= 100_000, `ticks ${t[i] - t[i - 1]} µs apart: two for one grid point`);
    await sys.stopActor(owner);
  });

  it('FIFO: messages from successive writers; a bad line is logged and the next is read', async () => {
    const path = join(dir, 'in.fifo');
    execFileSync('mkfifo', [path]);
    const owner = sys.spawn(Owner, { name: 'fifo-owner', props: { def: `${KINDS}#FifoConnection`, name: 'f', props: { id: 'f', path } } });
    await waitFor(() => sys.lookup('/fifo-owner/f'), 'the fifo actor');
    await new Promise((r) => setTimeout(r, 50));
    for (const lines of ['FIRST a=1\n<bad\n', 'SECOND b=2\n']) {
      const fd = openSync(path, 'w');
      writeSync(fd, lines);
      closeSync(fd); // the writer goes away
    }
    await waitFor(() => of('f', 'ed-msg').length === 2, 'two messages');
    assert.deepEqual(of('f', 'ed-msg').map((r) => messageFrom(r.fields).toMessage()), ['FIRST a=1', 'SECOND b=2']);
    await sys.stopActor(owner);
  });

  it('file change: created, written and deleted under a watched folder', async () => {
    const watched = join(dir, 'watched');
    execFileSync('mkdir', [watched]);
    const owner = sys.spawn(Owner, { name: 'fw-owner', props: { def: `${KINDS}#FileWatchConnection`, name: 'w', props: { id: 'w', path: watched } } });
    await waitFor(() => reports.some((r) => r.t === 'ed-file-ready' && r.id === 'w'), 'the watch in place');
    const file = join(watched, 'a.txt');
    writeFileSync(file, 'x');
    await waitFor(() => of('w', 'ed-file').some((r) => r.filename === 'a.txt' && r.mask & FILE_EVENT.CREATED), 'CREATED');
    appendFileSync(file, 'y');
    await waitFor(() => of('w', 'ed-file').some((r) => r.filename === 'a.txt' && r.mask & FILE_EVENT.WRITE), 'WRITE');
    unlinkSync(file);
    await waitFor(() => of('w', 'ed-file').some((r) => r.filename === 'a.txt' && r.mask & FILE_EVENT.DELETED), 'DELETED');
    await sys.stopActor(owner);
  });

  it('thread done fires once with the exit code', async () => {
    const module = new URL('./fixtures/short-thread.ts', import.meta.url).href;
    sys.spawn(Owner, { name: 'td-owner', props: { def: `${KINDS}#ThreadDoneConnection`, name: 'd', props: { id: 'd', module, workerData: 3 } } });
    await waitFor(() => of('d', 'ed-thread-done').length === 1, 'thread done');
    assert.equal(of('d', 'ed-thread-done')[0].code, 3);
  });

  it('Unix datagram: messages up to 64 KiB; bad datagrams are dropped and the next is read', async () => {
    const path = join(dir, 'dgram.sock');
    sys.spawn(Owner, { name: 'ud-owner', props: { def: `${LINKS}#DatagramMessageServer`, name: 'u', props: { id: 'u', target: { kind: 'unix', path } } } });
    await waitFor(() => reports.some((r) => r.t === 'ed-bound' && r.id === 'u'), 'bound');
    const big = Message.parse(`BIG p=${'x'.repeat(60_000)}`);
    await sendUnixDatagram(path, encodeDatagram(big, '', UNIX_DATAGRAM_MAX, 'Unix datagram'));
    await sendUnixDatagram(path, Buffer.from('<broken'));
    await sendUnixDatagram(path, Buffer.from('SMALL a=1'));
    await waitFor(() => of('u', 'ed-msg').length === 2, 'two messages');
    assert.deepEqual(of('u', 'ed-msg').map((r) => messageFrom(r.fields).command), ['BIG', 'SMALL']);
    assert.throws(() => encodeDatagram(Message.parse(`X p=${'x'.repeat(70_000)}`), '', UNIX_DATAGRAM_MAX, 'Unix datagram'), /message too large/);
  });

  it('signal: the main thread signal owner relays SIGWINCH to the actor', async () => {
    sys.spawn(Owner, { name: 'sig-owner', props: { def: `${LINKS}#SignalConnection`, name: 's', props: { id: 's', signal: 'SIGWINCH' } } });
    await waitFor(() => sys.lookup('/sig-owner/s'), 'the signal actor');
    await new Promise((r) => setTimeout(r, 20));
    process.kill(process.pid, 'SIGWINCH');
    await waitFor(() => of('s', 'ed-signal').length === 1, 'the signal');
  });
});
