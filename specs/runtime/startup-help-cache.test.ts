// The help text cache (runtime/cli/help-cache.ts), over real `actor-runtime` processes with a
// compile cache folder of the test's own: a repeated `--help` prints exactly what the command line
// builds, without loading commander or any command definition; a change of a module that built it
// (its stamp), a corrupt entry or other arguments build it again; ACTOR_RUNTIME_CACHE=0 turns it off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, runCli, type CliRun } from './cli-process.ts';

type Run = CliRun;
const run = runCli;


const built = (r: Run): boolean => r.loaded.some((u) => u.includes('node_modules/commander/')) && r.loaded.includes('bin/cli-main.ts');
const replayed = (r: Run): boolean => !r.loaded.some((u) => u.includes('node_modules/commander/') || u.includes('bin/cli-main.ts') || u.includes('/commands.ts') || u.includes('actors/'));

test('a repeated --help prints what the command line builds, byte for byte, without loading commander or any command definition', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'help-cache-'));
  try {
    const env = { NODE_COMPILE_CACHE: dir };
    const plain = await run(['--help'], { ...env, ACTOR_RUNTIME_CACHE: '0' });
    assert.equal(plain.code, 0);
    assert.ok(built(plain));
    assert.ok(!readdirSync(dir).includes('actor-runtime-help'), 'ACTOR_RUNTIME_CACHE=0: nothing written');
    const first = await run(['--help'], env);
    assert.ok(built(first), 'the first run builds the help');
    const second = await run(['--help'], env);
    assert.equal(second.code, 0);
    assert.ok(replayed(second), `the second run loaded ${second.loaded.filter((u) => !u.startsWith('node:')).join(', ')}`);
    assert.equal(second.stdout, plain.stdout, 'the same text');
    assert.match(second.stdout, /\n {2}run /);
    // Other arguments are other entries: a command's own help is built, then replayed.
    const runHelp = await run(['run', '--help'], env);
    assert.ok(built(runHelp));
    assert.match(runHelp.stdout, /Usage: actor-runtime run/);
    const again = await run(['run', '--help'], env);
    assert.ok(replayed(again));
    assert.equal(again.stdout, runHelp.stdout);
    // A new shell's environment (variables the help never reads) is still a hit; a colour setting
    // it reads builds it again, as printed with that setting.
    const newShell = await run(['--help'], { ...env, OLDPWD: '/elsewhere', SHLVL: '3', SSH_CLIENT: '10.0.0.1 51234 22' });
    assert.ok(replayed(newShell), 'unrelated variables: replayed');
    assert.equal(newShell.stdout, plain.stdout);
    const colour = await run(['--help'], { ...env, NO_COLOR: '1' });
    assert.ok(built(colour), 'a variable the help read: built again');
    assert.equal(colour.stdout, (await run(['--help'], { ...env, NO_COLOR: '1', ACTOR_RUNTIME_CACHE: '0' })).stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a changed module that built the help, or a corrupt entry, builds it again (and caches it again)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'help-cache-'));
  try {
    const env = { NODE_COMPILE_CACHE: dir };
    const first = await run(['--help'], env);
    const folder = join(dir, 'actor-runtime-help');
    const [name] = readdirSync(folder);
    const entry = join(folder, name);
    const e = JSON.parse(readFileSync(entry, 'utf8')) as { code: [string, number, number][] };
    for (const m of ['actors/lottery/cli.ts', 'runtime/cli/commands.ts', 'node_modules/commander/package.json', 'bin/actor-runtime.ts']) {
      assert.ok(e.code.some(([f]) => f.endsWith(m)), `the entry depends on ${m}`);
    }
    // What an edit of the lottery's command definitions looks like to the entry: another size.
    e.code.find(([f]) => f.endsWith('actors/lottery/cli.ts'))![2] += 1;
    writeFileSync(entry, JSON.stringify(e));
    const changed = await run(['--help'], env);
    assert.ok(built(changed), 'built again');
    assert.equal(changed.stdout, first.stdout);
    assert.ok(replayed(await run(['--help'], env)), 'and cached again');
    writeFileSync(entry, '{"format":1,"key":');
    const corrupt = await run(['--help'], env);
    assert.equal(corrupt.code, 0);
    assert.ok(built(corrupt));
    assert.equal(corrupt.stdout, first.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a command line that fails is never cached', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'help-cache-'));
  try {
    const env = { NODE_COMPILE_CACHE: dir };
    // `help` of an unknown command: the main help on stderr, exit 2.
    for (let i = 0; i < 2; i++) {
      const bad = await run(['help', 'nosuch'], env);
      assert.equal(bad.code, 2);
      assert.ok(built(bad), 'a failed run is built every time');
    }
    assert.ok(!readdirSync(dir).includes('actor-runtime-help'), 'no entry written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
