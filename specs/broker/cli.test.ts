// The broker CLI (broker.md §9) as a user runs it: `actor-runtime broker server`, `broker local`
// and one process per client operation; outputs, --json, --socket / BROKER_LOCAL_SOCKET, exit
// codes 0/1/2/3, and SIGTERM stopping both nodes with exit 0 and the socket unlinked.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, run, tmp, waitFor, type Proc } from './helpers.ts';

describe('broker CLI', () => {
  const dir = tmp();
  const socket = join(dir, 'lb', 'lb.sock');
  const env = { BROKER_LOCAL_SOCKET: socket };
  let server: Proc;
  let local: Proc;
  before(async () => {
    server = cli(['broker', 'server', '--listen', '127.0.0.1:0', '--data', join(dir, 'srv')]);
    await waitFor(() => server.lines.find((l) => l.includes('broker server listening')), 'server');
    const port = JSON.parse(server.lines.find((l) => l.includes('broker server listening'))!).listen.split(':')[1];
    local = cli(['broker', 'local', '--server', `ws://127.0.0.1:${port}`, '--data', join(dir, 'lb')]);
    await waitFor(() => local.lines.some((l) => l.includes('server link open')), 'local broker');
  });
  after(async () => {
    for (const p of [local, server]) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });

  it('runs the six operations with the outputs and exit codes of §9', async () => {
    assert.deepEqual(await run(['broker', 'create'], env), { code: 0, out: '1\n', err: '' });
    assert.equal((await run(['broker', 'create', '--socket', socket])).out, '2\n');
    assert.equal((await run(['broker', 'subscribe', '1', 'news'], env)).out, 'ok\n');
    assert.equal((await run(['broker', 'subscribe', '1', 'news'], env)).out, 'ok (already subscribed)\n');
    assert.equal((await run(['broker', 'publish', '2', 'hello there', 'news'], env)).out, '1\n');
    assert.deepEqual(await run(['broker', 'recv', '1'], env), { code: 0, out: 'news hello there\n', err: '' });
    assert.deepEqual(await run(['broker', 'recv', '1'], env), { code: 3, out: '', err: '' });
    await run(['broker', 'publish', '2', 'second', 'news'], env);
    const json = await run(['broker', 'recv', '1', '--json'], env);
    assert.equal(json.code, 0);
    assert.deepEqual({ ...JSON.parse(json.out), rid: 0 }, { rid: 0, status: 1, description: 'a message', topic: 'news', msg: 'second', seq: 2 });
    assert.equal((await run(['broker', 'unsubscribe', '1', 'news'], env)).out, 'ok\n');
    assert.equal((await run(['broker', 'unsubscribe', '1', 'news'], env)).out, 'ok (not subscribed)\n');
    const t0 = performance.now();
    assert.equal((await run(['broker', 'recv', '1', '--timeout', '300'], env)).code, 3);
    assert.ok(performance.now() - t0 >= 300);
    assert.deepEqual(await run(['broker', 'destroy', '2'], env), { code: 0, out: 'ok\n', err: '' });
    assert.deepEqual(await run(['broker', 'publish', '2', 'x', 'news'], env), { code: 1, out: '', err: 'error -1 UNKNOWN_ID: id 2 is not registered at this local broker\n' });
  });

  it('checks arguments before contacting the local broker; usage errors exit 2', async () => {
    const none = { BROKER_LOCAL_SOCKET: join(dir, 'nowhere.sock') };
    assert.deepEqual(await run(['broker', 'subscribe', '1', 'a/b'], none), { code: 1, out: '', err: `error -2 INVALID_TOPIC: topic "a/b" contains '/' (allowed: A-Z a-z 0-9 . _ -)\n` });
    assert.equal((await run(['broker', 'recv', '01x'], none)).err, 'error -4 INVALID_ARGUMENT: id "01x" is not a decimal integer\n');
    assert.equal((await run(['broker', 'recv', '1', '--timeout', '-5'], none)).code, 1);
    assert.equal((await run(['broker', 'publish', '1', 'x'.repeat(65_537), 't'], none)).err, 'error -3 MESSAGE_TOO_LARGE: message is 65537 bytes; limit is 65536\n');
    assert.equal((await run(['broker', 'publish', '1'], none)).code, 2);
    assert.equal((await run(['broker', 'frobnicate'], none)).code, 2);
    const down = await run(['broker', 'create', '--json'], none);
    assert.equal(down.code, 1);
    assert.equal(JSON.parse(down.out).status, -6);
  });

  it('SIGTERM stops the local broker and the server with exit 0; the socket is unlinked', async () => {
    local.child.kill('SIGTERM');
    assert.equal(await local.exited, 0);
    assert.equal(existsSync(socket), false);
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  });
});
