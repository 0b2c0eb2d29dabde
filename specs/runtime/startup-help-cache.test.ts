// The help text cache (runtime/cli/help-cache.ts), over real `actor-runtime` processes with a
// compile cache folder of the test's own: a repeated `--help` prints exactly what the command line
// builds, without loading commander or any command definition; a change of a module that built it
// (its stamp), a corrupt entry or other arguments build it again; ACTOR_RUNTIME_CACHE=0 turns it off.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/actor-runtime.mjs');
// The modules loaded, written to a file at exit (not to stderr: a help run that writes there is not cached).
const HOOK = `data:text/javascript,${encodeURIComponent(
  "import{registerHooks}from'node:module';import{writeFileSync}from'node:fs';const seen=[];registerHooks({load(u,c,n){seen.push(u);return n(u,c)}});process.on('exit',()=>writeFileSync(process.env.LOADED_TO,JSON.stringify(seen)))",
)}`;

const LOADS = mkdtempSync(join(tmpdir(), 'startup-loads-'));
after(() => rmSync(LOADS, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  loaded: string[];
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    // One path for every run (the environment is part of the cache's key).
    const loadedTo = join(LOADS, 'loaded.json');
    const child = spawn(process.execPath, ['--import', HOOK, bin, ...args], { cwd: root, env: { ...process.env, ...env, LOADED_TO: loadedTo } });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const loaded = (JSON.parse(readFileSync(loadedTo, 'utf8')) as string[]).map((u) => u.replace(`file://${root}`, ''));
      rmSync(loadedTo, { force: true });
      resolve({ code, stdout, loaded });
    });
  });
}

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
