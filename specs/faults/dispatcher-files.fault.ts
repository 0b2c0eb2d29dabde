// Fault injection (issue 11, rows "LockFile names an existing file that is not a lock", "IpcFile:
// /nonexistent/x", "LockFile names a directory", "one process handler child crashes twice within
// 5 s"): files the user did not give us are never touched, a bad lock path is one line and exit 2,
// and a crash-looping handler stops only its own dispatcher.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client, freePort, runCli, running, tmpDir } from '../dispatcher/helpers.ts';

const handlers = new URL('../dispatcher/fixtures/handlers.ts', import.meta.url).pathname;

function topology(dir: string, entries: string[]): string {
  const topo = join(dir, 't.yaml');
  writeFileSync(topo, `dispatchers:\n  instances:\n${entries.map((e) => `    - ${e}\n`).join('')}`);
  return topo;
}
const echoEntry = (name: string, port: number, extra = ''): string =>
  `{ Name: ${name}, IP: 127.0.0.1, Port: ${port}, StopTimeout: 1, LogLevel: 2, Allow: [127.0.0.1], Handler: { Kind: module, Module: '${handlers}', Export: echo }${extra} }`;

/** The error lines a failed start printed (the text lines, not the JSON logs). */
const textLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));

describe('faults: lock files and folders', () => {
  it('a LockFile that is another program’s file is left untouched: exit 2, one line', async () => {
    const dir = tmpDir();
    const foreign = join(dir, 'notes.txt');
    writeFileSync(foreign, 'my precious notes\n');
    const cli = runCli(['run', topology(dir, [echoEntry('d1', await freePort(), `, LockFile: '${foreign}'`)]), '--no-control']);
    const { code } = await cli.exited;
    assert.equal(code, 2, cli.stderr());
    assert.equal(readFileSync(foreign, 'utf8'), 'my precious notes\n');
    const lines = textLines(cli.stderr());
    assert.equal(lines.length, 1, cli.stderr());
    assert.match(lines[0], /notes\.txt is not a dispatcher lock file; not touched/);
  });

  it('a LockFile that is a directory: exit 2 at once with one line, no crash loop', async () => {
    const dir = tmpDir();
    const lockDir = join(dir, 'lockdir');
    mkdirSync(lockDir);
    const t0 = Date.now();
    const cli = runCli(['run', topology(dir, [echoEntry('d1', await freePort(), `, LockFile: '${lockDir}'`)]), '--no-control']);
    const { code } = await cli.exited;
    assert.equal(code, 2, cli.stderr());
    assert.ok(Date.now() - t0 < 20_000);
    assert.ok(statSync(lockDir).isDirectory());
    const lines = textLines(cli.stderr());
    assert.equal(lines.length, 1, cli.stderr());
    assert.match(lines[0], /lockdir is a directory/);
    assert.ok(!cli.logs.some((l) => l.msg === 'actor crashed' || l.msg === 'crashed'), 'no crash loop');
  });

  it('an IpcFile in a missing folder creates no folder: exit 2, one line', async () => {
    const dir = tmpDir();
    const missing = join(dir, 'nonexistent');
    const cli = runCli(['run', topology(dir, [echoEntry('d1', await freePort(), `, LockFile: '${join(missing, 'x')}'`)]), '--no-control']);
    const { code } = await cli.exited;
    assert.equal(code, 2, cli.stderr());
    assert.equal(existsSync(missing), false, 'the folder was created');
    assert.match(textLines(cli.stderr()).join('\n'), /the folder .*nonexistent does not exist/);
  });

  it('CreateLockFolder: true creates the folder; a stale lock of ours (dead pid) is replaced', async () => {
    const dir = tmpDir();
    const port = await freePort();
    const lock = join(dir, 'made', 'd1.lock');
    const cli = runCli(['run', topology(dir, [echoEntry('d1', port, `, LockFile: '${lock}', CreateLockFolder: true`)]), '--no-control']);
    await running(cli);
    assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, cli.child.pid);
    cli.child.kill('SIGKILL');
    await cli.exited;
    assert.ok(existsSync(lock), 'SIGKILL leaves the lock behind');
    const again = runCli(['run', topology(dir, [echoEntry('d1', port, `, LockFile: '${lock}'`)]), '--no-control']);
    await running(again);
    assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, again.child.pid);
    again.child.kill('SIGTERM');
    assert.equal((await again.exited).code, 0, again.stderr());
    assert.equal(existsSync(lock), false, 'released');
  });
});

describe('faults: a crash-looping handler', () => {
  it('stops only its own dispatcher; the other keeps serving and SIGTERM still exits 0', async () => {
    const dir = tmpDir();
    const [p1, p2] = [await freePort(), await freePort()];
    const fragile = `{ Name: fragile, IP: 127.0.0.1, Port: ${p1}, StopTimeout: 1, LogLevel: 2, Allow: [127.0.0.1], Handler: { Kind: module, Module: '${handlers}', Export: hazards } }`;
    const cli = runCli(['run', topology(dir, [fragile, echoEntry('sturdy', p2)])]);
    await running(cli);
    const sturdy = await Client.connect(p2, 'length32');
    sturdy.send('{"n":1}');
    await sturdy.reply(1);
    const c = await Client.connect(p1, 'length32');
    c.send('{"exit":true}'); // the module worker dies right after its start: quick death
    await cli.waitLog((l) => l.msg === 'dispatcher escalated and stopped; the rest of the runtime continues', 10_000);
    sturdy.send('{"n":2}');
    await sturdy.reply(2);
    assert.equal(cli.child.exitCode, null, 'the runtime is still up');
    cli.child.kill('SIGTERM');
    const { code } = await cli.exited;
    assert.equal(code, 0, cli.stderr());
    sturdy.close();
    c.close();
  });
});
