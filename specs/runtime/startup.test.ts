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
import { LOADS_HOOK, runCli, type CliRun } from './cli-process.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/actor-runtime.mjs');
// Every thread's loads, one line each as they happen (a worker thread's exit hook does not print),
// and for each worker thread whether it was started ahead (runtime/threads/prestart.ts).
const EVERY_THREAD_HOOK = `data:text/javascript,${encodeURIComponent(
  "import{registerHooks}from'node:module';import{threadId,workerData}from'node:worker_threads';if(threadId)process.stderr.write('\\nWORKER '+threadId+' prestarted='+!!workerData?.initPort+'\\n');registerHooks({load(u,c,n){process.stderr.write('\\nLOAD '+threadId+' '+u+'\\n');return n(u,c)}})",
)}`;

function run(args: string[], env: Record<string, string> = {}, hook = LOADS_HOOK): Promise<CliRun> {
  return runCli(args, env, hook);
}

const rel = (urls: string[]): string[] => urls.map((u) => u.replace(`file://${root}`, ''));

test('--help loads command definitions only: no kernel system or command implementations, no subsystem actors, no zod, yaml or pino', async () => {
  // The command line built (the help text cache off: runtime/cli/help-cache.ts, its own spec).
  const r = await run(['--help'], { ACTOR_RUNTIME_CACHE: '0' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /lottery/);
  assert.match(r.stdout, /dispatcher/);
  const loaded = rel(r.loaded);
  assert.ok(loaded.length > 0, 'the hook saw the modules');
  for (const cmd of ['run', 'inspect', 'top', 'view', 'bench']) assert.match(r.stdout, new RegExp(`\\n  ${cmd} `), `--help lists ${cmd}`);
  // the kernel's commands are defined in runtime/cli/commands.ts; their modules load when they run
  for (const bad of ['runtime/kernel/system.ts', 'runtime/kernel/topology.ts', 'runtime/cli/run.ts', 'runtime/cli/inspect.ts', 'runtime/cli/view.ts', 'runtime/inspection/', 'runtime/threads/', 'runtime/view/', 'actors/lottery/index.ts', 'actors/lottery/server.ts', 'actors/dispatcher/index.ts', 'actors/demo/index.ts', 'node_modules/zod/', 'node_modules/yaml/', 'node_modules/pino/']) {
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
    const r = await run(['run', file, '--for', '0.5', '--no-control'], { NODE_COMPILE_CACHE: cache }, EVERY_THREAD_HOOK);
    assert.equal(r.code, 0, r.stderr);
    const lines = [...r.stderr.matchAll(/^LOAD (\d+) (.*)$/gm)];
    const loaded = rel(lines.map((m) => m[2]));
    const workerLoaded = lines.filter((m) => m[1] !== '0').map((m) => m[2]);
    // The run's worker thread was started before the file was read (runtime/threads/prestart.ts):
    // it boots while the main thread loads yaml, zod and the subsystems' schemas.
    assert.deepEqual([...r.stderr.matchAll(/^WORKER (\d+) prestarted=(\w+)$/gm)].map((m) => m[2]), ['true'], 'one worker thread, the prestarted one');
    assert.ok(workerLoaded.length > 0, 'the hook saw the worker thread load modules');
    assert.ok(loaded.some((u) => u.includes('actors/demo/pipeline.ts')), 'the demo subsystem was loaded');
    // Only the subsystems whose keys the file has, and the adopter (the dispatcher reads original config.json files).
    assert.ok(loaded.some((u) => u.includes('actors/dispatcher/index.ts')), 'the adopter was loaded');
    for (const other of ['actors/lottery/index.ts', 'actors/broker/index.ts', 'actors/eventdispatcher/index.ts', 'actors/two-nodes/index.ts']) {
      assert.ok(!loaded.some((u) => u.includes(other)), `a demo-only topology loaded ${other}`);
    }
    // The hook runs in the worker thread too (execArgv is inherited): it starts from the entry that preloads early.
    assert.ok(rel(workerLoaded)[0]?.includes('runtime/threads/worker-entry.mjs'), 'the worker started from worker-entry.mjs');
    // `run` registers only its own command: the other kernel commands' modules are not loaded.
    for (const other of ['runtime/cli/inspect.ts', 'runtime/cli/view.ts', 'runtime/cli/render.ts', 'bench/cli.ts', 'bench/scenarios/index.ts']) {
      assert.ok(!loaded.includes(other), `run loaded ${other}`);
    }
    // No store was opened, so no thread loaded node:sqlite (runtime/index.ts exports openStore; it loads it on use).
    assert.ok(!loaded.includes('node:sqlite'), 'node:sqlite loaded although no store was opened');
    // Nothing was logged at the error level, so no thread loaded pino.
    assert.ok(!loaded.some((u) => u.includes('node_modules/pino/')), 'pino loaded although no line was written');
    const { readdirSync } = await import('node:fs');
    assert.ok(readdirSync(cache).length > 0, 'the compile cache was written where NODE_COMPILE_CACHE says');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the logger loads pino on its first written line only, and writes the same JSON lines', async () => {
  const script = (level: string): string =>
    `import { loggerFor, pinoLoaded, setLogLevel } from ${JSON.stringify(join(root, 'runtime/log/log.ts'))};` +
    `setLogLevel(${JSON.stringify(level)}); const l = loggerFor('comp', { fields: { d: 'd1' } });` +
    `l.debug('quiet'); process.stdout.write(String(pinoLoaded()) + ' ' + l.enabled('info') + '\\n'); l.info('hello', { n: 1 });` +
    `process.stdout.write(String(pinoLoaded()) + '\\n');`;
  const go = (level: string) =>
    new Promise<{ out: string; err: string; code: number | null }>((resolve) => {
      const c = spawn(process.execPath, ['--input-type=module', '-e', script(level)], { cwd: root, env: { ...process.env, LOG_LEVEL: undefined } });
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (code) => resolve({ out, err, code }));
    });
  const info = await go('info');
  assert.equal(info.code, 0, info.err);
  assert.equal(info.out, 'false true\ntrue\n', 'pino not loaded before the first line, loaded by it');
  const line = JSON.parse(info.err.trim().split('\n').pop()!);
  assert.equal(line.msg, 'hello');
  assert.equal(line.at, 'comp');
  assert.equal(line.d, 'd1');
  assert.equal(line.n, 1);
  assert.equal(line.level, 30);
  const quiet = await go('error');
  assert.equal(quiet.code, 0, quiet.err);
  assert.equal(quiet.out, 'false false\nfalse\n', 'nothing written, pino never loaded');
  assert.equal(quiet.err, '');
  const bad = await go('loud');
  assert.notEqual(bad.code, 0, 'an unknown level is refused as before');
  assert.match(bad.err, /loud/);
});

test('a wrong top-level key is still named with every expected key (all subsystems loaded to judge it)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'startup-test-'));
  try {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'threads: 1\ndemo: { ratePerSecond: 10 }\nlotery: {}\n');
    const r = await run(['run', file, '--no-control']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /lotery/);
    for (const key of ['lottery', 'broker', 'eventdispatcher', 'dispatchers']) assert.match(r.stderr, new RegExp(key), `the error names ${key}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a one-shot tool loads neither the kernel commands (run, inspect, view, bench) nor transports it does not use', async () => {
  // UDP to a loopback port nobody listens on: the datagram is sent, the tool exits 0.
  const r = await run(['signal', '--host', '127.0.0.1:9', 'example/HELLO']);
  assert.equal(r.code, 0, r.stderr);
  const loaded = rel(r.loaded);
  assert.ok(loaded.some((u) => u.includes('actors/eventdispatcher/tools/signal.ts')), 'the tool ran');
  assert.ok(loaded.includes('node:dgram'), 'UDP was used');
  for (const bad of ['runtime/cli/run.ts', 'runtime/cli/inspect.ts', 'runtime/cli/view.ts', 'runtime/inspection/control.ts', 'bench/cli.ts', 'bench/scenarios/index.ts', 'node:tls', 'runtime/kernel/system.ts']) {
    assert.ok(!loaded.includes(bad) && !loaded.some((u) => u.endsWith(bad)), `signal loaded ${bad}`);
  }
  // A kernel command still finds its module, and a mistyped one still gets its suggestion.
  const typo = await run(['rnu']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /Did you mean run\?/);
});

test('a system without worker threads (a one-shot tool, an agency) loads neither the thread pool nor comlink nor node:sqlite', async () => {
  const script =
    `import { ActorSystem, defineActor } from ${JSON.stringify(join(root, 'runtime/index.ts'))};` +
    `const s = await ActorSystem.start({ threads: 0, logLevel: 'error' });` +
    `const A = defineActor(import.meta.url, 'A', () => ({ receive(_m, ctx) { ctx.reply(1); } }));` +
    `process.stdout.write(String(await s.spawn(A, { name: 'a' }).ask('x', { timeoutMs: 5000 })));` +
    `await s.stop(1000);`;
  // This one is not an actor-runtime command: its hook prints the loads on stderr at exit.
  const hook = `data:text/javascript,${encodeURIComponent(
    "import{registerHooks}from'node:module';const seen=[];registerHooks({load(u,c,n){seen.push(u);return n(u,c)}});process.on('exit',()=>process.stderr.write('\\nLOADED '+JSON.stringify(seen)+'\\n'))",
  )}`;
  const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const c = spawn(process.execPath, ['--import', hook, '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, LOG_LEVEL: 'error' } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code, out, err }));
  });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '1', 'the system works');
  const m = /LOADED (.*)/.exec(r.err);
  const loaded = rel(m ? (JSON.parse(m[1]) as string[]) : []);
  assert.ok(loaded.some((u) => u.endsWith('runtime/kernel/system.ts')), 'the hook saw the kernel');
  for (const bad of ['runtime/threads/threads.ts', 'node_modules/comlink/', 'node:sqlite', 'node:worker_threads']) {
    assert.ok(!loaded.some((u) => u.includes(bad)), `a thread-less system loaded ${bad}`);
  }
});

test('children are given the compile cache base folder, so they share the cache instead of nesting their own', async () => {
  const hook = `data:text/javascript,${encodeURIComponent(
    "import{getCompileCacheDir}from'node:module';process.on('exit',()=>process.stderr.write('\\nCC '+JSON.stringify([process.env.NODE_COMPILE_CACHE,getCompileCacheDir()])+'\\n'))",
  )}`;
  const env = { ...process.env };
  delete env.NODE_COMPILE_CACHE;
  const r = await new Promise<string>((resolve) => {
    const c = spawn(process.execPath, ['--import', hook, bin, '--help'], { cwd: root, env });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('close', () => resolve(err));
  });
  const [passed, own] = JSON.parse(/CC (.*)/.exec(r)![1]) as [string, string];
  assert.ok(own, 'the launcher turned the cache on');
  assert.equal(passed, join(own, '..'), 'NODE_COMPILE_CACHE is the base folder, not the per-version one');
  // A child started with it uses the very same folder.
  const child = await new Promise<string>((resolve) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', "import{getCompileCacheDir}from'node:module';process.stdout.write(getCompileCacheDir()??'')"], { env: { ...env, NODE_COMPILE_CACHE: passed } });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('close', () => resolve(out));
  });
  assert.equal(child, own);
});

test('a dispatcher run: the main thread loads none of the I/O subtree (no listener, connection, runner or xstate code); its worker does and listens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'startup-test-'));
  try {
    const net = await import('node:net');
    const port = await new Promise<number>((res) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as import('node:net').AddressInfo).port;
        s.close(() => res(p));
      });
    });
    const echo = join(root, 'bench/load/echo-handler.ts');
    const file = join(dir, 'd.yaml');
    // The bench's start-up topology (bench/scenarios/startup.ts): a module handler on its handler thread.
    writeFileSync(
      file,
      `threads: 1\nlogLevel: error\ndispatchers:\n  instances:\n    - { Name: echo, IP: 127.0.0.1, Port: ${port}, Framing: length32, Protocol: json, LockFile: ${join(dir, 'd.lock')}, Handler: { Kind: module, Module: ${echo}, Export: handle }, Workers: { Min: 1, Max: 1 } }\n`,
    );
    const r = await run(['run', file, '--for', '1', '--no-control'], {}, EVERY_THREAD_HOOK);
    assert.equal(r.code, 0, r.stderr);
    const lines = [...r.stderr.matchAll(/^LOAD (\d+) (.*)$/gm)];
    const main = rel(lines.filter((m) => m[1] === '0').map((m) => m[2]));
    const workers = rel(lines.filter((m) => m[1] !== '0').map((m) => m[2]));
    assert.ok(main.includes('actors/dispatcher/supervisor.ts'), 'the section ran on the main thread');
    assert.ok(!main.includes('runtime/nodes/config.ts'), 'a file without nodes: builds no nodes schema');
    for (const bad of ['actors/dispatcher/io.ts', 'actors/dispatcher/acceptor.ts', 'actors/dispatcher/connection.ts', 'actors/dispatcher/runners/index.ts', 'runtime/io/listener.ts', 'runtime/index.ts', 'node_modules/xstate/']) {
      assert.ok(!main.some((u) => u.includes(bad)), `the main thread loaded ${bad}`);
      if (!bad.includes('xstate') && bad !== 'runtime/index.ts') assert.ok(workers.some((u) => u.includes(bad)), `no worker loaded ${bad}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the dispatcher worker modules bin/subsystems.ts names before loading it are the ones the loaded subsystem declares', async () => {
  await import('../../bin/subsystems.ts');
  const { declaredModulesFor, loadSubsystemsFor, registeredSubsystems } = await import('../../runtime/kernel/subsystem.ts');
  const doc = { dispatchers: {} };
  const declared = declaredModulesFor(doc);
  assert.ok(declared.some((u) => u.endsWith('actors/dispatcher/io.ts')), 'the I/O actor is among them');
  await loadSubsystemsFor(doc);
  assert.deepEqual(declared, registeredSubsystems().find((s) => s.name === 'dispatcher')?.modules);
  assert.deepEqual(declaredModulesFor({ demo: {} }), [], 'a subsystem that declares none hints nothing');
});
