// Fast start-up (issue 12): commands load only what they use. A loader hook records every module
// a real `actor-runtime` process loads; `--help` must not load the kernel's system, any subsystem's
// actors, zod, yaml or pino, and a topology run must load the subsystems it uses. The installed
// command turns on the compile cache and passes it on to children.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/actor-runtime.mjs');
const HOOK = `data:text/javascript,${encodeURIComponent(
  "import{registerHooks}from'node:module';const seen=[];registerHooks({load(u,c,n){seen.push(u);return n(u,c)}});process.on('exit',()=>process.stderr.write('\\nLOADED '+JSON.stringify(seen)+'\\n'))",
)}`;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; loaded: string[]; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', HOOK, bin, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'error', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /LOADED (.*)/.exec(stderr);
      resolve({ code, loaded: m ? (JSON.parse(m[1]) as string[]) : [], stdout, stderr });
    });
  });
}

const rel = (urls: string[]): string[] => urls.map((u) => u.replace(`file://${root}`, ''));

test('--help loads command definitions only: no kernel system, no subsystem actors, no zod, yaml or pino', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /lottery/);
  assert.match(r.stdout, /dispatcher/);
  const loaded = rel(r.loaded);
  assert.ok(loaded.length > 0, 'the hook saw the modules');
  for (const bad of ['runtime/system.ts', 'runtime/topology.ts', 'actors/lottery/index.ts', 'actors/lottery/server.ts', 'actors/dispatcher/index.ts', 'actors/demo/index.ts', 'node_modules/zod/', 'node_modules/yaml/', 'node_modules/pino/']) {
    assert.ok(!loaded.some((u) => u.includes(bad)), `--help loaded ${bad}`);
  }
});

test('lottery check-log loads the checker, no server code and no zod', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'startup-test-'));
  const log = join(dir, 'empty.log');
  writeFileSync(log, '');
  const r = await run(['lottery', 'check-log', log, '--clients', '0']);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.code, 0, r.stderr);
  const loaded = rel(r.loaded);
  assert.ok(loaded.some((u) => u.includes('actors/lottery/logcheck.ts')));
  for (const bad of ['actors/lottery/server.ts', 'actors/lottery/betstore.ts', 'node_modules/zod/', 'runtime/system.ts']) assert.ok(!loaded.some((u) => u.includes(bad)), `check-log loaded ${bad}`);
});

test('a topology run loads the subsystems (sections resolved) and workers get the compile cache directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'startup-test-'));
  try {
    const file = join(dir, 't.yaml');
    writeFileSync(file, 'threads: 1\nlogLevel: error\ndemo: { ratePerSecond: 10 }\n');
    const cache = join(dir, 'cache');
    const r = await run(['run', file, '--for', '0.5', '--no-control'], { NODE_COMPILE_CACHE: cache });
    assert.equal(r.code, 0, r.stderr);
    const loaded = rel(r.loaded);
    assert.ok(loaded.some((u) => u.includes('actors/demo/pipeline.ts')), 'the demo subsystem was loaded');
    const { readdirSync } = await import('node:fs');
    assert.ok(readdirSync(cache).length > 0, 'the compile cache was written where NODE_COMPILE_CACHE says');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
