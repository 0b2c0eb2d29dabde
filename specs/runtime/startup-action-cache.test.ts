// The parsed-command cache (runtime/cli/action-cache.ts), over real `actor-runtime` processes with
// a compile cache folder of the test's own: the same command line again calls its action without
// loading commander, with the same outcome (output, errors, exit code); a usage error is never
// cached; another environment or a changed module that built the command line parses again.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/actor-runtime.mjs');
// The modules loaded, written to a file at exit.
const HOOK = `data:text/javascript,${encodeURIComponent(
  "import{registerHooks}from'node:module';import{writeFileSync}from'node:fs';const seen=[];registerHooks({load(u,c,n){seen.push(u);return n(u,c)}});process.on('exit',()=>writeFileSync(process.env.LOADED_TO,JSON.stringify(seen)))",
)}`;

const LOADS = mkdtempSync(join(tmpdir(), 'startup-loads-'));
after(() => rmSync(LOADS, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  loaded: string[];
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    // One path for every run (the environment is part of the cache's key).
    const loadedTo = join(LOADS, 'loaded.json');
    const child = spawn(process.execPath, ['--import', HOOK, bin, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'error', ...env, LOADED_TO: loadedTo } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const loaded = (JSON.parse(readFileSync(loadedTo, 'utf8')) as string[]).map((u) => u.replace(`file://${root}`, ''));
      rmSync(loadedTo, { force: true });
      resolve({ code, stdout, stderr, loaded });
    });
  });
}

const parsed = (r: Run): boolean => r.loaded.some((u) => u.includes('node_modules/commander/')) && r.loaded.includes('bin/cli-main.ts');
const called = (r: Run): boolean => !r.loaded.some((u) => u.includes('node_modules/commander/') || u.includes('bin/cli-main.ts') || u.includes('runtime/cli/program.ts'));

function setup(): { dir: string; env: Record<string, string>; topology: string; entries: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'action-cache-'));
  const topology = join(dir, 't.yaml');
  writeFileSync(topology, 'threads: 0\nlogLevel: error\ndemo: { ratePerSecond: 10 }\n');
  const folder = join(dir, 'cache', 'actor-runtime-commands');
  return {
    dir,
    env: { NODE_COMPILE_CACHE: join(dir, 'cache') },
    topology,
    entries: () => {
      try {
        return readdirSync(folder).map((f) => join(folder, f));
      } catch {
        return [];
      }
    },
  };
}

test('the same command line again calls its action without commander, with the same outcome', async () => {
  const s = setup();
  try {
    const args = ['run', s.topology, '--for', '0.2', '--no-control'];
    const first = await run(args, s.env);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(parsed(first), 'the first start parses');
    assert.equal(s.entries().length, 1, 'and records its call');
    const second = await run(args, s.env);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(called(second), `the second start called the action at once; it loaded ${second.loaded.filter((u) => u.includes('commander') || u.includes('cli/')).join(', ')}`);
    assert.ok(second.loaded.includes('runtime/cli/run.ts'), 'the action ran');
    assert.ok(second.loaded.some((u) => u.includes('actors/demo/')), 'with the subsystems registered');
    // An error from the action is reported as when parsed: same line, same exit code.
    const missing = ['run', join(s.dir, 'missing.yaml'), '--no-control'];
    const a = await run(missing, s.env);
    const b = await run(missing, s.env);
    assert.equal(a.code, 2);
    assert.ok(parsed(a));
    assert.ok(called(b), 'the failing action itself was called from the cache');
    assert.equal(b.code, 2);
    assert.equal(b.stderr, a.stderr);
    assert.match(b.stderr, /^error: .*missing\.yaml: cannot read the file \(ENOENT\)\n$/);
    // ACTOR_RUNTIME_CACHE=0: parsed every time.
    assert.ok(parsed(await run(args, { ...s.env, ACTOR_RUNTIME_CACHE: '0' })));
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('a usage error is never cached; another environment or a changed module parses again', async () => {
  const s = setup();
  try {
    for (let i = 0; i < 2; i++) {
      const bad = await run(['run', s.topology, '--bogus'], s.env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /unknown option '--bogus'/);
      assert.ok(parsed(bad));
    }
    assert.deepEqual(s.entries(), [], 'no call recorded');
    const args = ['run', s.topology, '--for', '0.2', '--no-control'];
    assert.ok(parsed(await run(args, s.env)));
    assert.ok(called(await run(args, s.env)));
    // A variable more (an option's default might come from it): parsed again.
    assert.ok(parsed(await run(args, { ...s.env, SOME_SETTING: '1' })), 'another environment parses');
    // What an edit of the kernel's command definitions looks like to the entries: another mtime.
    for (const entry of s.entries()) {
      const e = JSON.parse(readFileSync(entry, 'utf8')) as { code: [string, number, number][] };
      const defs = e.code.find(([f]) => f.endsWith('runtime/cli/commands.ts'));
      assert.ok(defs, 'the entry depends on the command definitions');
      assert.ok(e.code.some(([f]) => f.endsWith('node_modules/commander/package.json')), 'and on commander');
      defs[1] += 1;
      writeFileSync(entry, JSON.stringify(e));
    }
    const changed = await run(args, s.env);
    assert.equal(changed.code, 0, changed.stderr);
    assert.ok(parsed(changed), 'a changed module parses again');
    assert.ok(called(await run(args, s.env)), 'and is recorded again');
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});
