// The two-node example of the README: topologies/two-nodes-a.yaml and -b.yaml run as two
// processes (on free ports here); jobs go through the stage on node b and come back to node a's
// sink; both stop gracefully on SIGTERM.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'two-nodes-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const freePort = (): Promise<number> =>
  new Promise((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });

function run(file: string): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(join(root, 'node_modules/.bin/node'), [join(root, 'bin/actor-runtime.ts'), 'run', file, '--no-control'], { cwd: root, env: { ...process.env, LOG_LEVEL: 'info' } });
  children.push(child);
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, out: () => out, exit: new Promise((r) => child.once('exit', (c) => r(c))) };
}

test('two-node example: the pipeline runs through both nodes and stops gracefully', async () => {
  const [pa, pb] = [await freePort(), await freePort()];
  const copy = (name: string): string => {
    const text = readFileSync(join(root, 'topologies', name), 'utf8').replaceAll('7401', String(pa)).replaceAll('7402', String(pb));
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const b = run(copy('two-nodes-b.yaml'));
  const a = run(copy('two-nodes-a.yaml'));
  const progress = await waitFor(() => {
    const lines = a.out().split('\n').filter((l) => l.includes('"two-node pipeline"'));
    const last = lines.length ? JSON.parse(lines[lines.length - 1]) : null;
    return last && last.received > 0 ? last : null;
  }, 'jobs back at the sink on node a', 20_000, 100);
  assert.ok(progress.received > 0);
  assert.match(b.out(), /"peer":"a".*"msg":"peer node up"/);
  a.child.kill('SIGTERM');
  b.child.kill('SIGTERM');
  assert.equal(await a.exit, 0);
  assert.equal(await b.exit, 0);
});
