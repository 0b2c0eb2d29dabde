// The actor-runtime command line as a user runs it: a bad topology (exit 2, the problem on stderr,
// no stack), the demo under `run` with `inspect` against its control socket, SIGTERM (exit 0, the
// stop logged), and --help on every command.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const node = join(root, 'node_modules/.bin/node');
const bin = join(root, 'bin/actor-runtime.ts');
let dir: string;
const children = new Set<ChildProcess>();

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
});
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
/** Runs the CLI to completion (bounded). */
function cli(args: string[], timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [bin, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'info' } });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`actor-runtime ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

test('run with a bad topology: exit 2, the problem named on stderr, no stack trace', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'threads: 1\nsupervisor:\n  strategy: sometimes\ndemo:\n  crashEvery: 1\n  speed: 3\n');
  const r = await cli(['run', file]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /supervisor\.strategy: expected one of "one-for-one", "one-for-all", "rest-for-one", found the string "sometimes"/);
  assert.match(r.stderr, /demo\.crashEvery: expected number to be >=2; found number 1/);
  assert.match(r.stderr, /demo: unknown key "speed"/);
  assert.ok(r.stderr.includes(file), 'names the file');
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const yaml = join(dir, 'broken.yaml');
  writeFileSync(yaml, 'name: x\nthreads: [1\n');
  const r2 = await cli(['run', yaml]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /broken\.yaml: line \d+, column \d+: not valid YAML/);
  assert.doesNotMatch(r2.stderr, /\n\s+at /);
  const r3 = await cli(['run', join(dir, 'nope.yaml')]);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /nope\.yaml: cannot read the file \(ENOENT\)/);
});

test('run the demo, inspect it through its control socket, then SIGTERM: exit 0 and the stop is logged', async () => {
  const sock = join(dir, 'demo.sock');
  const child = spawn(node, [bin, 'run', 'topologies/demo.yaml', '--control', sock], { cwd: root, env: { ...process.env, LOG_LEVEL: 'info' } });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // The demo's lottery writes its TP0 lines to stdout and blocks, as any program does, once a pipe
  // nobody reads is full (64 KiB): read it, or the control socket stops answering.
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    await waitFor(() => stderr.includes('system running'), 'the system to start', 30_000, 20);
    // Let the flaky stage crash a few times (a crash every 97 jobs at 400 jobs/s).
    const snap = await waitFor(async () => {
      const r = await cli(['inspect', '--socket', sock, '--json']);
      if (r.code !== 0) return null;
      const s = JSON.parse(r.stdout) as { actors: { path: string; thread: number; restarts: number; state: string }[] };
      const flaky = s.actors.find((a) => a.path === '/demo/flaky');
      return flaky && flaky.restarts >= 1 ? s : null;
    }, '/demo/flaky restarted at least once', 30_000, 100);
    const flaky = snap.actors.find((a) => a.path === '/demo/flaky')!;
    assert.equal(flaky.thread, 1, 'flaky runs on worker 1');
    const text = await cli(['inspect', '--socket', sock]);
    assert.equal(text.code, 0, text.stderr);
    const row = text.stdout.split('\n').find((l) => /^\s+flaky\s/.test(l));
    assert.ok(row, `a row for flaky in the tree:\n${text.stdout}`);
    const cols = row.trim().split(/\s+/);
    const header = text.stdout.split('\n').find((l) => /\bTHREAD\b/.test(l))!.trim().split(/\s+/);
    assert.equal(cols[header.indexOf('THREAD')], 't1');
    assert.ok(Number(cols[header.indexOf('RESTARTS')]) >= 1, row);
    assert.ok(text.stdout.indexOf(' demo ') < text.stdout.indexOf(row), 'flaky is listed under demo');
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise((r) => (timer = setTimeout(() => r('hung'), 10_000)))]);
    clearTimeout(timer);
    assert.equal(code, 0, stderr.slice(-2000));
    const lines = stderr.split('\n').filter(Boolean).map((l) => {
      try {
        return JSON.parse(l) as { msg?: string; why?: string };
      } catch {
        return { msg: l };
      }
    });
    assert.ok(lines.some((l) => l.msg === 'stopped' && l.why === 'SIGTERM'), `a 'stopped' log line with why=SIGTERM:\n${stderr.slice(-1500)}`);
    const after = await cli(['inspect', '--socket', sock]);
    assert.equal(after.code, 1, 'nothing to inspect once stopped');
    assert.match(after.stderr, /cannot reach the system/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('--help on every command exits 0 with its usage; unknown commands exit 2', async () => {
  const top = await cli(['--help']);
  assert.equal(top.code, 0);
  const commandsOf = (help: string): string[] => {
    const at = help.indexOf('Commands:');
    if (at < 0) return [];
    return help
      .slice(at)
      .split('\n')
      .slice(1)
      .map((l) => /^ {2}([a-z][\w-]*)/.exec(l)?.[1])
      .filter((c): c is string => !!c && c !== 'help');
  };
  const cmds = commandsOf(top.stdout);
  for (const c of ['run', 'inspect', 'top']) assert.ok(cmds.includes(c), `${c} listed in:\n${top.stdout}`);
  // Every top-level command, the subsystems' included (their subcommands are their own suites' business).
  const paths: string[][] = cmds.map((c) => [c]);
  for (let i = 0; i < paths.length; i += 3) {
    const batch = await Promise.all(paths.slice(i, i + 3).map((p) => cli([...p, '--help']).then((r) => ({ p, r }))));
    for (const { p, r } of batch) {
      assert.equal(r.code, 0, `${p.join(' ')} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: actor-runtime ${p.join(' ')}`), `${p.join(' ')} --help prints its usage`);
    }
  }
  const bad = await cli(['frobnicate']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command 'frobnicate'/);
});
