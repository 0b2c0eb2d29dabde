// The eventdispatcher topology section through `actor-runtime run`: a router on a Unix socket, the
// example service registered with it, a logrotate messenger, a HELLO answered; SIGTERM stops it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lineClient } from './lineclient.ts';
import { waitFor } from './helpers.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('run a topology with a router, the example service and a logrotate messenger', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ed-topo-'));
  const sock = join(dir, 'cd.sock');
  const file = join(dir, 'ed.yaml');
  writeFileSync(
    file,
    `name: ed-test
threads: 1
logLevel: info
eventdispatcher:
  routers:
    - { name: cd, serverName: testhost, tcp: null, udp: null, unix: cd.sock }
  services:
    - { name: example, router: "cd://${sock}", props: { greeting: hi from topology } }
  logrotate:
    - { name: lr, listen: "127.0.0.1:0" }
`,
  );
  const child = spawn(join(root, 'node_modules', '.bin', 'node'), [join(root, 'bin', 'actor-runtime.ts'), 'run', file, '--control', join(dir, 'ctl.sock')], { cwd: root });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    await waitFor(() => stderr.includes('"service":"example"') && stderr.includes('service registered'), 'the example service to register', 20_000);
    const c = await lineClient({ path: sock });
    c.send('REGISTER service=tester;version=1');
    await c.waitLine(/READY/);
    c.send('example/HELLO');
    assert.equal(await c.waitLine(/HI/), '<testhost:example testhost:tester/HI greeting=hi from topology');
    assert.match(stderr, /logrotate messenger listening/);
    c.close();
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 0, stderr.slice(-2000));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
