// The `inline` placement of module handlers (inline-runner.ts) over real loopback sockets:
// replies in request order (synchronous and asynchronous handlers mixed on one connection), a
// throw or a non-JSON value answers WORKER_FAILED for that request only, a pending promise past
// RequestTimeoutMs answers TIMEOUT, the config key is validated, and a module that does not
// declare itself non-blocking does not start (exit code 2, one clear message). A property: any mix
// of sync, async and malformed requests, split anywhere, is answered in order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, freePort, startHarness, tmpDir, type Harness } from './helpers.ts';
import { loadConfigFile } from '../../actors/dispatcher/config/index.ts';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { encodeFrameBytes } from '../../protocols/dispatcher/index.ts';
import { join } from 'node:path';

const inlineFixture = new URL('./fixtures/inline-handlers.ts', import.meta.url).pathname;
const blockingFixture = new URL('./fixtures/handlers.ts', import.meta.url).pathname;

const entry = (name: string, port: number, dir: string, module: string, exp = 'handle'): Record<string, unknown> => ({
  Name: name,
  IP: '127.0.0.1',
  Port: port,
  NumThreads: 2,
  StopTimeout: 1,
  LogLevel: 2,
  Framing: 'length32',
  Protocol: 'json',
  RequestTimeoutMs: 300,
  Handler: { Kind: 'module', Module: module, Export: exp, Placement: 'inline' },
  LockFile: join(dir, `${name}.lock`),
  Allow: ['127.0.0.1'],
});

describe('inline handler placement', () => {
  let h: Harness;
  let port: number;
  before(async () => {
    const dir = tmpDir();
    port = await freePort();
    h = await startHarness([entry('inline', port, dir, inlineFixture) as never], { threads: 1 });
  });
  after(() => h.stop());

  it('answers on the I/O thread, in request order, sync and async mixed', async () => {
    const c = await Client.connect(port, 'length32');
    c.send('{"wait":40,"n":1}');
    c.send('{"n":2}');
    c.send('{"wait":5,"n":3}');
    c.send('[4]');
    const rs = await c.reply(4);
    assert.deepEqual(rs, ['{"wait":40,"n":1}', '{"n":2}', '{"wait":5,"n":3}', '[4]']);
    c.close();
  });

  it('a throw or a value that is not JSON fails only its own request (WORKER_FAILED)', async () => {
    const c = await Client.connect(port, 'length32');
    c.send('{"fail":true}');
    c.send('{"bad":true}');
    c.send('{"ok":1}');
    const rs = await c.reply(3);
    assert.match(rs[0], /"code":"WORKER_FAILED"/);
    assert.match(rs[0], /handler refused/);
    assert.match(rs[1], /"code":"WORKER_FAILED"/);
    assert.equal(rs[2], '{"ok":1}');
    const v = await h.view('inline');
    assert.ok(v.counters.workerFailures >= 2, JSON.stringify(v.counters));
    c.close();
  });

  it('a promise still pending past RequestTimeoutMs is answered TIMEOUT, and later requests still flow', async () => {
    const c = await Client.connect(port, 'length32');
    c.send('{"wait":2000}');
    c.send('{"after":1}');
    const rs = await c.reply(2, 5000);
    assert.match(rs[0], /"code":"TIMEOUT"/);
    assert.equal(rs[1], '{"after":1}');
    c.close();
  });

  it('property: any mix of sync, async and malformed requests, split anywhere, is answered in request order; the table counts every reply', async () => {
    // Sync replies skip the reorder window while nothing before them is unwritten (connection-pump.ts);
    // this checks that they never overtake an async reply before them, however the bytes arrive.
    const kind = fc.constantFrom('sync', 'async', 'malformed');
    await fc.assert(
      fc.asyncProperty(fc.array(kind, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), async (kinds, cuts) => {
        const frames = kinds.map((k, n) => (k === 'sync' ? `{"n":${n}}` : k === 'async' ? `{"wait":${n % 3},"n":${n}}` : `{nope ${n}`));
        const bytes = Buffer.concat(frames.map((f) => encodeFrameBytes('length32', Buffer.from(f))));
        const at = [...new Set(cuts.map((x) => x % bytes.length))].sort((a, b) => a - b);
        const c = await Client.connect(port, 'length32');
        try {
          let from = 0;
          for (const cut of [...at, bytes.length]) {
            if (cut > from) c.sendRaw(bytes.subarray(from, cut));
            from = cut;
            await new Promise((r) => setImmediate(r));
          }
          const rs = await c.reply(frames.length);
          rs.forEach((r, n) => (kinds[n] === 'malformed' ? assert.match(r, /"code":"MALFORMED"/) : assert.equal(r, frames[n])));
          const row = (await h.view('inline')).table.find((r) => r.numOps === frames.length && r.inFlight === 0);
          assert.ok(row !== undefined, 'the table row shows every reply written and none in flight');
        } finally {
          c.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('many connections at once each get their own replies', async () => {
    const clients = await Promise.all(Array.from({ length: 40 }, () => Client.connect(port, 'length32')));
    clients.forEach((c, i) => {
      for (let k = 0; k < 5; k++) c.send(JSON.stringify({ c: i, k }));
    });
    for (const [i, c] of clients.entries()) {
      const rs = await c.reply(5);
      assert.deepEqual(rs, [0, 1, 2, 3, 4].map((k) => JSON.stringify({ c: i, k })));
      c.close();
    }
  });
});

describe('inline placement configuration', () => {
  it('a module that does not declare itself non-blocking does not start: exit code 2, the reason named', async () => {
    const dir = tmpDir();
    const port = await freePort();
    await assert.rejects(
      startHarness([entry('blocking', port, dir, blockingFixture, 'echo') as never], { threads: 1 }),
      (err: Error & { exitCode?: number }) => {
        assert.equal(err.exitCode, 2);
        assert.match(err.message, /Placement "inline" needs a handler that declares itself non-blocking \(export const nonBlocking = true/);
        return true;
      },
    );
  });

  it('Placement is validated and defaults to thread', () => {
    const dir = tmpDir();
    const file = join(dir, 'config.json');
    const doc = (placement?: string): string =>
      JSON.stringify({ Version: 2, Dispatchers: [{ Name: 'd', IP: '127.0.0.1', Port: 9, Handler: { Kind: 'module', Module: './h.ts', ...(placement ? { Placement: placement } : {}) } }] });
    writeFileSync(file, doc());
    assert.equal((loadConfigFile(file)[0].Handler as { Placement?: string }).Placement, 'thread');
    writeFileSync(file, doc('inline'));
    assert.equal((loadConfigFile(file)[0].Handler as { Placement?: string }).Placement, 'inline');
    writeFileSync(file, doc('sideways'));
    assert.throws(() => loadConfigFile(file), /Handler\.Placement/);
  });
});
