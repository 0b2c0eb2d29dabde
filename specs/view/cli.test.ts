// The live view's command line as a user runs it: `view` attached to a running system through its
// control socket (and leaving by itself when that system is killed with SIGKILL), and the one-line
// errors of a bad `--view`, a public address without a secret, a bad `view:` key and an
// unreachable `--node`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { proofFor } from '../../runtime/view/index.ts';
import { runCli, stop, viewUrl, waitFor, type Proc } from './helpers.ts';

let dir: string;
const procs: Proc[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'view-cli-'));
});
after(async () => {
  for (const p of procs) await stop(p);
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Proc {
  const p = runCli(args, env);
  procs.push(p);
  return p;
}

function pipelineTopology(): string {
  const file = join(dir, `pipeline-${procs.length}.yaml`);
  writeFileSync(file, `name: view-cli-${process.pid}\nthreads: 1\nrunForSeconds: 60\ndemo:\n  ratePerSecond: 300\n  crashEvery: 29\n`);
  return file;
}

test('view attaches through the control socket, streams the live state, and leaves when the system is killed -9', { timeout: 60_000 }, async () => {
  const sock = join(dir, 'sys.sock');
  const sys = cli(['run', pipelineTopology(), '--control', sock]);
  await waitFor(() => sys.stderr().includes('system running'), 'the system to run', 30_000);
  const view = cli(['view', '--socket', sock, '--listen', '127.0.0.1:0']);
  const url = await waitFor(() => /at (http:\/\/\S+)/.exec(view.stdout())?.[1], 'the view URL', 30_000);
  const ws = new WebSocket(`${url.replace('http', 'ws')}ws`);
  const msgs: { type: string; actors?: [string][]; feed?: { type: string; path: string }[] }[] = [];
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
  ws.on('error', () => {});
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  const full = await waitFor(() => msgs.find((m) => m.type === 'full'), 'the full state', 30_000);
  assert.ok(full.actors!.some((r) => r[0] === '/demo/flaky'));
  await waitFor(() => msgs.some((m) => m.feed?.some((f) => f.type === 'crash' && f.path === '/demo/flaky')), 'a crash in the stream', 30_000);

  sys.child.kill('SIGKILL');
  assert.ok((await closed) >= 1000);
  await waitFor(() => view.child.exitCode !== null, 'the view to exit', 30_000);
  assert.equal(view.child.exitCode, 0);
  assert.match(view.stderr(), /view stopped: the system stopped/);
});

test('a bad --view, a public address without a secret, a bad view: key (exit 2) and an unreachable --node (exit 1): one line naming the problem', { timeout: 60_000 }, async () => {
  const bad = cli(['run', pipelineTopology(), '--view', 'localhost:99999']);
  assert.equal(await bad.exited, 2);
  assert.match(bad.stderr(), /^error: the view's port must be 0\.\.65535, found 99999$/m);

  const open = cli(['run', pipelineTopology(), '--view', '0.0.0.0:0'], { ACTOR_RUNTIME_NODE_SECRET: '', ACTOR_RUNTIME_SECRET: '' });
  assert.equal(await open.exited, 2);
  assert.match(open.stderr(), /error: the view at 0\.0\.0\.0:0 is not on a loopback address: set ACTOR_RUNTIME_NODE_SECRET/);

  const file = join(dir, 'bad-view.yaml');
  writeFileSync(file, 'threads: 1\nview: { address: 8080, secret: "in the file" }\ndemo: {}\n');
  const key = cli(['run', file]);
  assert.equal(await key.exited, 2);
  assert.match(key.stderr(), /view: /);

  const node = cli(['view', '--node', 'ws://127.0.0.1:1'], { ACTOR_RUNTIME_NODE_SECRET: 'a-secret-of-enough-bytes' });
  assert.equal(await node.exited, 1);
  assert.match(node.stderr(), /^error: cannot attach to node ws:\/\/127\.0\.0\.1:1: /m);
});

test('view: { address, secretFile } in the topology: the page must answer the challenge of the secret in that file', { timeout: 60_000 }, async () => {
  writeFileSync(join(dir, 'view-secret.txt'), 'a secret of the node\n');
  const file = join(dir, 'with-secret.yaml');
  writeFileSync(file, `name: view-secret-${process.pid}\nthreads: 1\nrunForSeconds: 60\nview: { address: "127.0.0.1:0", secretFile: view-secret.txt }\ndemo: {}\n`);
  const sys = cli(['run', file], { ACTOR_RUNTIME_NODE_SECRET: '', ACTOR_RUNTIME_SECRET: '' });
  const url = await viewUrl(sys);
  const open = (proof: (nonce: string) => string): Promise<string[]> =>
    new Promise((resolve) => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}ws`);
      const types: string[] = [];
      ws.on('error', () => {});
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        types.push(m.type);
        if (m.type === 'challenge') ws.send(JSON.stringify({ op: 'auth', proof: proof(m.nonce) }));
        if (m.type === 'full') ws.close();
      });
      ws.on('close', () => resolve(types));
    });
  assert.deepEqual(await open((n) => proofFor('a wrong secret', n)), ['challenge', 'error']);
  assert.deepEqual(await open((n) => proofFor('a secret of the node', n)), ['challenge', 'hello', 'full']);
});
