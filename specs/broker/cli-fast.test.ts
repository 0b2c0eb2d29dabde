// The one-shot client commands' fast path (actors/broker/cli-fast.ts): what it takes and what it
// leaves to commander, and, in a real process with a module-load hook, that a client run loads
// only the client, its JSON codecs and the broker's argument rules (no commander, no kernel).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseBrokerClientArgs } from '../../actors/broker/cli-fast.ts';
import { ENTRY, NODE, tmp } from './helpers.ts';

describe('broker client fast path', () => {
  it('takes plain client commands with their flags', () => {
    assert.deepEqual(parseBrokerClientArgs(['create']), { op: 'create', args: [], flags: {} });
    assert.deepEqual(parseBrokerClientArgs(['publish', '3', 'hi there', 'news', '--json', '--socket', '/s']), { op: 'publish', args: ['3', 'hi there', 'news'], flags: { json: true, socket: '/s' } });
    assert.deepEqual(parseBrokerClientArgs(['recv', '--wait', '--timeout=50', '1']), { op: 'recv', args: ['1'], flags: { wait: true, timeout: '50' } });
    assert.deepEqual(parseBrokerClientArgs(['subscribe', '1', 'x', '--socket=/a=b']), { op: 'subscribe', args: ['1', 'x'], flags: { socket: '/a=b' } });
  });

  it('leaves everything else to commander (help, unknown flags, wrong arity, server/local)', () => {
    for (const argv of [
      [], ['server'], ['local', '--server', 'ws://x'], ['create', '--help'], ['create', '-h'], ['create', 'extra'],
      ['publish', '1', 'x'], ['publish', '1', '-5', 'news'], ['recv', '1', '--timeout'], ['create', '--wait'],
      ['create', '--json=1'], ['destroy', '1', '--'], ['recv', '1', '--socket'], ['help'], ['--help'],
    ]) {
      assert.equal(parseBrokerClientArgs(argv), null, JSON.stringify(argv));
    }
  });

  it('any argv: null, or an op with exactly its arguments, none of them a flag', () => {
    const word = fc.constantFrom('create', 'publish', 'recv', 'destroy', 'subscribe', '--json', '--socket', '--wait', '--timeout=1', '-x', '1', 'news', '--', '-');
    fc.assert(
      fc.property(fc.array(word, { maxLength: 7 }), (argv) => {
        const p = parseBrokerClientArgs(argv);
        if (p === null) return;
        assert.equal(p.op, argv[0]);
        const arity = ({ create: 0, publish: 3, subscribe: 2, unsubscribe: 2, recv: 1, destroy: 1 } as Record<string, number>)[p.op];
        assert.equal(p.args.length, arity);
        for (const a of p.args) assert.ok(!a.startsWith('-') || a === '-', a);
      }),
    );
  });

  it('a client run loads only the client and its codecs, and sends its request', async () => {
    const socket = join(tmp(), 'lb.sock');
    const got = new Promise<string>((resolve) => {
      const srv = createServer((s) => {
        s.setEncoding('utf8');
        s.once('data', (d: string) => {
          s.end(`${JSON.stringify({ rid: JSON.parse(d).rid, status: 7, description: 'created id 7', id: 7 })}\n`);
          srv.close();
          resolve(d);
        });
      }).listen(socket);
    });
    const hook = `data:text/javascript,${encodeURIComponent(
      `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent('export async function load(u, c, n) { if (u.startsWith("file:")) process._rawDebug("loaded " + u); return n(u, c); }'));`,
    )}`;
    const child = spawn(NODE, ['--import', hook, ENTRY, 'broker', 'create', '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(JSON.parse(await got).op, 'create');
    assert.equal(code, 0, err);
    assert.equal(out, '7\n');
    const loaded = err.split('\n').filter((l) => l.startsWith('loaded ')).map((l) => l.replace(/^loaded file:\/\/.*?\/(bin|actors|protocols|runtime|node_modules)\//, '$1/'));
    const allowed = /^(bin\/actor-runtime\.ts|runtime\/io\/early-signals\.ts|actors\/broker\/(cli-fast|cli-client|client|client-stream)\.ts|protocols\/errors\.ts|protocols\/broker\/(json|json-stream|json-batch|stream-binary|types|limits)\.ts)$/;
    assert.deepEqual(loaded.filter((m) => !allowed.test(m)), [], `only the client's modules load (got ${loaded.join(', ')})`);
    assert.ok(loaded.includes('actors/broker/client.ts'));
  });
});
