// The parsed-command cache (runtime/cli/action-cache.ts), over real `actor-runtime` processes with
// a compile cache folder of the test's own: the same command line again calls its action without
// loading commander, with the same outcome (output, errors, exit code); a usage error is never
// cached; another value of a variable the parse read, or a changed module that built the command
// line, parses again (a variable it never read does not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, runCli, type CliRun } from './cli-process.ts';

type Run = CliRun;
const run = runCli;


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

test('a usage error is never cached; a variable the parse read, or a changed module, parses again; an unrelated variable does not', async () => {
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
    // A variable the parse never read (a new shell's OLDPWD, SHLVL...): the same call.
    assert.ok(called(await run(args, { ...s.env, SOME_SETTING: '1' })), 'an unrelated variable is still a hit');
    // A variable the parse did read (commander's colour setting; an option's default alike): parsed again.
    const entry = JSON.parse(readFileSync(s.entries()[0], 'utf8')) as { env: string[] | null };
    assert.ok(entry.env !== null && entry.env.includes('FORCE_COLOR'), `the entry names the variables read: ${JSON.stringify(entry.env)}`);
    assert.ok(parsed(await run(args, { ...s.env, FORCE_COLOR: '0' })), 'another value of a variable read parses');
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

test('a repeated `lottery run` calls its action without commander; its server is spawned before either', async () => {
  const s = setup();
  const folders: string[] = [];
  try {
    const data = join(s.dir, 'data');
    const gen = await run(['lottery', 'generate-data', '--agencies', '2', '--rows', '40', '--out', data], s.env);
    assert.equal(gen.code, 0, gen.stderr);
    const args = ['lottery', 'run', '--agencies', '2', '--data', data];
    const outcome = async (): Promise<Run> => {
      const r = await run(args, s.env);
      // The run leaves its store in a temp folder it names (no --server-data given).
      const folder = /bets\.csv in (\S+) /.exec(r.stderr)?.[1];
      if (folder) folders.push(folder);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /the server started before the command line loaded/);
      assert.match(r.stderr, /log contract ok; 80 bets stored/);
      return r;
    };
    assert.ok(parsed(await outcome()), 'the first start parses');
    const second = await outcome();
    assert.ok(called(second), `the second start called runAll at once; it loaded ${second.loaded.filter((u) => u.includes('commander') || u.includes('cli/')).join(', ')}`);
    // The run itself comes from its code bundle (actors/lottery/run-bundle.ts), built by the first
    // run at the latest; the early server was still taken (run-early.ts shared with the bundle).
    assert.ok(second.loaded.includes('node_modules/.actor-runtime/lottery-run-loader.cjs'), `the action ran from the bundle: ${second.loaded.join(', ')}`);
    assert.ok(!second.loaded.includes('actors/lottery/run.ts'), 'not from its modules');
    assert.equal(folders.length, 2);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
    for (const f of folders) rmSync(f, { recursive: true, force: true });
  }
});
