// `actor-runtime view --node <url>`: the live view attached to a runtime node in another process
// over an authenticated node link (as `inspect --node`), the secret read the one documented way
// ($ACTOR_RUNTIME_NODE_SECRET, its alias $ACTOR_RUNTIME_SECRET, --secret-file), the event stream
// followed over the link, a wrong secret refused with one line, and the view leaving when the node
// is killed -9.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { proofFor } from '../../runtime/view/index.ts';
import { startNodeProcess, startLocalNode, linked, SECRET, type NodeProcess } from '../nodes/helpers.ts';
import { runCli, stop, waitFor, type Proc } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'view-node-'));
const nodes: NodeProcess[] = [];
const procs: Proc[] = [];
after(async () => {
  for (const p of procs) await stop(p);
  for (const n of nodes) await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string>): Proc {
  const p = runCli(args, env);
  procs.push(p);
  return p;
}

type PageMsg = { type: string; actors?: [string][]; remove?: string[]; source?: string };

test('view --node streams a remote node over its link; a wrong secret exits 1; kill -9 of the node ends the view', { timeout: 90_000 }, async () => {
  const b = await startNodeProcess({ name: 'b', actors: [{ name: 'echo', kind: 'Echo' }, { name: 'relay', kind: 'Relay' }] });
  nodes.push(b);

  // A wrong secret from a file: refused during the handshake, one line, exit 1, nothing served.
  const wrongFile = join(dir, 'wrong.secret');
  writeFileSync(wrongFile, 'not-the-right-secret-at-all\n');
  const wrong = cli(['view', '--node', b.url, '--listen', '127.0.0.1:0', '--secret-file', wrongFile], {});
  assert.equal(await wrong.exited, 1);
  assert.match(wrong.stderr(), /^error: cannot attach to node ws:\/\/127\.0\.0\.1:\d+: closed during the handshake/m);

  // The right secret through the alias the view shipped with; pages must prove the same secret.
  const view = cli(['view', '--node', b.url, '--listen', '127.0.0.1:0'], { ACTOR_RUNTIME_NODE_SECRET: '', ACTOR_RUNTIME_SECRET: SECRET });
  const url = await waitFor(() => /at (http:\/\/\S+)/.exec(view.stdout())?.[1], 'the view URL', 30_000);
  assert.match(view.stdout(), /live view of node ws:\/\/127\.0\.0\.1:\d+ at /);
  const ws = new WebSocket(`${url.replace('http', 'ws')}ws`);
  const msgs: PageMsg[] = [];
  ws.on('error', () => {});
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as PageMsg & { nonce?: string };
    msgs.push(m);
    if (m.type === 'challenge') ws.send(JSON.stringify({ op: 'auth', proof: proofFor(SECRET, m.nonce!) }));
  });
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  const hello = await waitFor(() => msgs.find((m) => m.type === 'hello'), 'hello', 30_000);
  assert.equal(hello.source, b.url);
  const full = await waitFor(() => msgs.find((m) => m.type === 'full' && m.actors!.some((r) => r[0] === '/relay')), "b's actors in the full state", 30_000);
  assert.ok(full.actors!.some((r) => r[0] === '/echo'));

  // An actor stopping on b reaches the page through the event stream over the link.
  const me = await startLocalNode('me', [{ name: 'b', url: b.url }], {}, 0);
  try {
    await linked(me, 'b');
    await me.node!.ref<{ type: 'stop-me' }>('b:/relay').ask({ type: 'stop-me' });
    await waitFor(() => msgs.some((m) => m.type === 'tick' && m.remove!.includes('/relay')), 'the stop of /relay on the page', 30_000);
  } finally {
    await me.stop();
  }

  await b.kill9();
  await waitFor(() => view.child.exitCode !== null, 'the view to exit', 30_000);
  assert.equal(view.child.exitCode, 0);
  assert.match(view.stderr(), /view stopped: the node closed the link/);
  assert.ok((await closed) >= 1000);
});
