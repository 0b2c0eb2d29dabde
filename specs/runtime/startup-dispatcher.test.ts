// A dispatcher to listening (issue 12): `run` on a file of one dispatcher runs it on the main thread
// (actors/dispatcher/index.ts adoptFile: threads 0). The critical path is then the main thread alone:
// it must bind before any worker thread is created (the module handler's thread comes after the
// bind; no kernel worker thread at all once the topology is cached, run-early.ts), and before the
// code that only serving needs (groups, connections, xstate, the handler runners) loads. A request
// sent at once is still answered: the connection is held until the handlers are up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, freePort } from '../dispatcher/helpers.ts';
import { root, runCli } from './cli-process.ts';

// Every thread's loads, each TCP listener's `listening` and each worker thread's creation, one
// stderr line each as they happen.
const ORDER_HOOK = `data:text/javascript,${encodeURIComponent(
  [
    "import{registerHooks,syncBuiltinESMExports}from'node:module';import wt from'node:worker_threads';import net from'node:net';const{threadId,isMainThread}=wt;",
    "const say=(s)=>process.stderr.write('\\n'+s+'\\n');",
    'registerHooks({load(u,c,n){say(`LOAD ${threadId} ${u}`);return n(u,c)}});',
    "const L=net.Server.prototype.listen;",
    "net.Server.prototype.listen=function(...a){this.once('listening',()=>{const x=this.address();if(x&&typeof x==='object')say(`LISTEN ${x.port}`)});return L.apply(this,a)};",
    "if(isMainThread){const W=wt.Worker;wt.Worker=class extends W{constructor(f,o){say(`NEWWORKER ${f}`);super(f,o)}};syncBuiltinESMExports()}",
  ].join(''),
)}`;

interface Start {
  code: number | null;
  stderr: string;
  /** The hook's lines in order: `LOAD <thread> <url>`, `LISTEN <port>`, `NEWWORKER <url>`. */
  events: string[];
}

/** `run <file> --for <s>`; `whenListening` runs once the port accepts (a client sending at once). */
async function start(file: string, port: number, env: Record<string, string>, whenListening?: () => Promise<void>): Promise<Start> {
  const done = runCli(['run', file, '--for', '1.5', '--no-control'], env, ORDER_HOOK);
  let during: Promise<void> = Promise.resolve();
  if (whenListening) {
    const end = Date.now() + 20_000;
    for (;;) {
      const ok = await new Promise<boolean>((r) => net.connect({ host: '127.0.0.1', port }).once('connect', function (this: net.Socket) {
        this.destroy();
        r(true);
      }).once('error', () => r(false)));
      if (ok) break;
      if (Date.now() > end) throw new Error('the dispatcher did not listen');
      await new Promise((r) => setTimeout(r, 5));
    }
    during = whenListening();
  }
  const r = await done;
  await during;
  const events = [...r.stderr.matchAll(/^(LOAD \d+ .*|LISTEN \d+|NEWWORKER .*)$/gm)].map((m) => m[1].replace(`file://${root}`, ''));
  return { code: r.code, stderr: r.stderr, events };
}

function dispatcherFile(dir: string, port: number): string {
  const file = join(dir, 'dispatcher.json');
  const d = {
    Name: 'echo',
    IP: '127.0.0.1',
    Port: port,
    Allow: ['127.0.0.1/32'],
    Framing: 'length32',
    Protocol: 'json',
    Handler: { Kind: 'module', Module: join(root, 'bench/load/echo-handler.ts'), Export: 'handle' },
    Workers: { Min: 1, Max: 1 },
    LockFile: join(dir, 'd.lock'),
  };
  writeFileSync(file, JSON.stringify({ Version: 2, Dispatchers: [d] }));
  return file;
}

/** Asserts what must come after the bind, on the main thread, in `s`. */
function bindsFirst(s: Start, port: number, what: string): void {
  const listen = s.events.indexOf(`LISTEN ${port}`);
  assert.ok(listen >= 0, `${what}: the dispatcher listened (stderr: ${s.stderr.slice(-500)})`);
  const before = s.events.slice(0, listen);
  const mainBefore = before.filter((e) => e.startsWith('LOAD 0 ')).map((e) => e.slice('LOAD 0 '.length));
  assert.ok(mainBefore.includes('actors/dispatcher/io.ts') && mainBefore.includes('runtime/io/listener.ts'), `${what}: the I/O actor ran on the main thread`);
  for (const later of ['actors/dispatcher/group.ts', 'actors/dispatcher/connection.ts', 'actors/dispatcher/queue.ts', 'actors/dispatcher/worker.ts', 'actors/dispatcher/runners/index.ts', 'node_modules/xstate/']) {
    assert.ok(!mainBefore.some((u) => u.includes(later)), `${what}: ${later} loaded before the bind`);
    assert.ok(s.events.slice(listen).some((e) => e.startsWith('LOAD 0 ') && e.includes(later)), `${what}: ${later} loaded after the bind, on the main thread`);
  }
  // The module handler's thread: after the bind.
  const workers = s.events.filter((e) => e.startsWith('NEWWORKER '));
  assert.ok(workers.some((e) => e.includes('actors/dispatcher/runners/handler-thread.ts')), `${what}: the handler thread started`);
  assert.ok(!before.some((e) => e.includes('runners/handler-thread.ts')), `${what}: the handler thread was created before the bind`);
}

test('run on a file of one dispatcher: it binds on the main thread before any worker thread exists and before its serving code loads; an early request is answered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'startup-dispatcher-'));
  // Caches of its own (the validated topology among them), so the first start is a real first one.
  const env = { NODE_COMPILE_CACHE: join(dir, 'cache') };
  try {
    const port = await freePort();
    const file = dispatcherFile(dir, port);
    // First start: validated in full; the threads are guessed before the file is read.
    const first = await start(file, port, env);
    assert.equal(first.code, 0, first.stderr);
    bindsFirst(first, port, 'first start');
    // Next start (the cached topology): no worker thread is created before the bind, and none of
    // the kernel's (worker-entry.mjs) at all: the one thread is the main thread.
    let echoed: string[] = [];
    const next = await start(file, port, env, async () => {
      // Sent as soon as the port accepts: held until the handler is up, then served.
      const c = await Client.connect(port, 'length32');
      c.send('{"early":1}');
      echoed = await c.reply(1, 10_000);
      c.close();
    });
    assert.equal(next.code, 0, next.stderr);
    bindsFirst(next, port, 'cached start');
    const listen = next.events.indexOf(`LISTEN ${port}`);
    const early = next.events.slice(0, listen).filter((e) => e.startsWith('NEWWORKER '));
    assert.deepEqual(early, [], 'no worker thread was created before the dispatcher listened');
    assert.ok(!next.events.some((e) => e.startsWith('NEWWORKER ') && e.includes('worker-entry.mjs')), 'no kernel worker thread was started');
    assert.deepEqual(echoed, ['{"early":1}'], 'the request sent at once was answered');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
