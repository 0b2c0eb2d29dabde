// Inspection across nodes: `inspect --node <url>` and `top --node <url>` attach to a remote node
// over an authenticated link; `--peer` shows that node's peer; the event stream follows; a wrong
// secret is refused with one line and exit code 1.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startNodeProcess, startLocalNode, linked, waitFor, type NodeProcess } from './helpers.ts';
import { openInspector } from '../../runtime/nodes/inspect-client.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const nodeBin = join(root, 'node_modules/.bin/node');
const bin = join(root, 'bin/actor-runtime.ts');
const procs: NodeProcess[] = [];
const children = new Set<ChildProcess>();
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const p of procs) await p.stop();
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBin, [bin, ...args], { cwd: root, env: { ...process.env, ...env } });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${args.join(' ')} did not exit\n${stderr}`))), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

test('inspect --node, --peer, top --node, --events, and a wrong secret', async () => {
  const b = await startNodeProcess({ name: 'b', actors: [{ name: 'echo', kind: 'Echo' }, { name: 'relay', kind: 'Relay' }] });
  procs.push(b);
  const c = await startNodeProcess({ name: 'c', peers: [{ name: 'b', url: b.url }], actors: [{ name: 'inbox', kind: 'Inbox' }] });
  procs.push(c);

  const json = await cli(['inspect', '--node', b.url, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const snap = JSON.parse(json.stdout);
  assert.ok(snap.actors.some((x: { path: string }) => x.path === '/echo'));
  assert.equal(snap.node.name, 'b');

  // b shows its peer c's tree, read over their link
  await waitFor(async () => (await cli(['inspect', '--node', b.url, '--json'])).stdout.includes('"name": "c"'), 'c linked to b', 8000, 100);
  const peer = await cli(['inspect', '--node', b.url, '--peer', 'c', '--json']);
  assert.equal(peer.code, 0, peer.stderr);
  assert.ok(JSON.parse(peer.stdout).actors.some((x: { path: string }) => x.path === '/inbox'));

  const text = await cli(['inspect', '--node', b.url]);
  assert.match(text.stdout, /node b at ws:\/\/127\.0\.0\.1:\d+ {2}peers c\(up\)/);
  const top = await cli(['top', '--node', c.url, '--count', '2', '--interval', '100']);
  assert.equal(top.code, 0, top.stderr);
  assert.match(top.stdout, /inbox/);

  const bad = await cli(['inspect', '--node', b.url], { ACTOR_RUNTIME_NODE_SECRET: 'not-the-right-secret-at-all' });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: cannot inspect node ws:\/\/127\.0\.0\.1:\d+: closed during the handshake/);
  await waitFor(() => b.logs().includes('authentication failed for inspect-'), 'b logs the refused inspector');

  // the event stream: a stop on b is seen by a follower attached over the link
  const ins = await openInspector(b.url, {});
  const events: { type: string; path?: string }[] = [];
  const following = ins.events((ev) => events.push(ev));
  await new Promise((r) => setTimeout(r, 100));
  // stop b's relay through a node link from this process
  const me = await startLocalNode('me', [{ name: 'b', url: b.url }], {}, 0);
  await linked(me, 'b');
  await me.node!.ref<{ type: 'stop-me' }>('b:/relay').ask({ type: 'stop-me' });
  await waitFor(() => events.some((e) => e.type === 'stop' && e.path === '/relay'), 'the stop event over the link');
  ins.close();
  await following;
  await me.stop();
});
