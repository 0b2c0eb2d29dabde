// The permanent FIFO writer over a real mkfifo and real reader processes (cat), including a
// reader killed with SIGKILL: messages cached while no reader is there arrive once one opens.

import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActorSystem } from '../../runtime/index.ts';
import { PermanentFifoWriter, type PermanentFifoInfo } from '../../actors/eventdispatcher/fifo-permanent.ts';
import { waitFor } from './helpers.ts';

function reader(path: string): ChildProcess & { out: string } {
  const child = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] }) as ChildProcess & { out: string };
  child.out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (child.out += d));
  return child;
}

describe('eventdispatcher permanent FIFO writer', () => {
  let sys: ActorSystem;
  let dir: string;
  const children: ChildProcess[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ed-fifo-perm-'));
    sys = await ActorSystem.start({ threads: 0, logLevel: process.env.LOG_LEVEL ?? 'silent', statsIntervalMs: 0 });
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sys.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries while no reader is there, flushes the cache on open, and re-opens after the reader is killed', async () => {
    const path = join(dir, 'out.fifo');
    execFileSync('mkfifo', [path]);
    const w = sys.spawn(PermanentFifoWriter, { name: 'fifo-writer', props: { path, pauses: '0.1' } });
    const info = (): Promise<PermanentFifoInfo> => w.ask<PermanentFifoInfo>({ t: 'info' });
    const send = (line: string, cache = true): Promise<boolean> => w.ask<boolean>({ t: 'send', line, cache });
    // No reader: attempts fail (ENXIO) and are retried; a cached message waits, an uncached one is lost.
    await waitFor(async () => (await info()).attempts >= 2, 'two attempts without a reader');
    assert.equal(await send('FIRST n=1'), false);
    assert.equal(await send('LOST n=0', false), false);
    assert.equal((await info()).cached, 1);
    const r1 = reader(path);
    children.push(r1);
    await waitFor(() => r1.out.includes('FIRST n=1\n'), 'the cached message at the first reader');
    assert.ok(!r1.out.includes('LOST'));
    assert.equal(await send('SECOND n=2', false), true);
    await waitFor(() => r1.out.includes('SECOND n=2\n'), 'a direct message');
    // The reader dies without a word; the next writes see EPIPE and the writer drops and retries.
    r1.kill('SIGKILL');
    await new Promise((r) => r1.once('exit', r));
    await waitFor(async () => {
      await send('PROBE', false);
      return !(await info()).connected;
    }, 'the writer to notice the reader is gone');
    assert.equal(await send('THIRD n=3'), false);
    const r2 = reader(path);
    children.push(r2);
    await waitFor(() => r2.out.includes('THIRD n=3\n'), 'the cached message at the second reader');
    const i = await info();
    assert.equal(i.connected, true);
    assert.equal(i.reopened, 1);
    assert.equal(i.cached, 0);
    await sys.stopActor(w);
    // The writer closing ends the reader's input: cat exits by itself.
    await waitFor(() => r2.exitCode !== null, 'the second reader to see the end');
  });

  it('a missing FIFO (without create) stops the writer and creates nothing', async () => {
    const path = join(dir, 'missing.fifo');
    const w = sys.spawn(PermanentFifoWriter, { name: 'fifo-missing', props: { path }, restart: 'temporary' });
    await assert.rejects(w.ask({ t: 'info' }, { timeoutMs: 3000 }), /actor-dead|dead|stopped/i);
    assert.throws(() => execFileSync('test', ['-e', path]));
  });
});
