// The validated-topology cache (runtime/kernel/topology-cache.ts), over real `actor-runtime run`
// processes with a compile cache folder of the test's own: a second run of an unchanged file loads
// no yaml, zod or schema module on its main thread; an edited topology, an edited file it names,
// a corrupt or unreadable entry, or a change of the code that validated it falls back to full
// validation silently, with its errors reported exactly as with the cache off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, runCli, type CliRun } from './cli-process.ts';
import fc from 'fast-check';
import { textHash } from '../../runtime/kernel/topology-cache.ts';

type Run = CliRun;
const run = runCli;


const freePort = (): Promise<number> =>
  new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });

/** What a full validation loads and a cache hit must not. */
const VALIDATION = ['node_modules/zod/', 'node_modules/yaml/', 'runtime/kernel/topology.ts', 'runtime/config/', 'actors/dispatcher/config/schema.ts', 'actors/dispatcher/index.ts'];
const validatedIn = (r: Run): boolean => VALIDATION.every((m) => r.loaded.some((u) => u.includes(m)));
const hitIn = (r: Run): boolean => VALIDATION.every((m) => !r.loaded.some((u) => u.includes(m))) && r.loaded.includes('actors/dispatcher/section.ts');

async function setup(): Promise<{ dir: string; cache: string; file: string; env: Record<string, string>; args: string[]; entries: () => string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'topology-cache-'));
  const cache = join(dir, 'cache');
  const port = await freePort();
  const file = join(dir, 'd.yaml');
  writeFileSync(
    file,
    `threads: 0\nlogLevel: error\ndispatchers:\n  instances:\n    - { Name: tx, IP: 127.0.0.1, Port: ${port}, LockFile: ${join(dir, 'd.lock')}, Protocol: legacy-tx, Framing: legacy, Handler: { Kind: legacy-tx, ServiceDelayMs: 0 }, Workers: { Min: 1, Max: 1 } }\n`,
  );
  const folder = join(cache, 'actor-runtime-topologies');
  return {
    dir,
    cache,
    file,
    env: { NODE_COMPILE_CACHE: cache },
    args: ['run', file, '--for', '0.2', '--no-control'],
    entries: () => {
      try {
        return readdirSync(folder).map((f) => join(folder, f));
      } catch {
        return [];
      }
    },
  };
}

test('a second run of an unchanged topology loads no yaml, zod or schema on its main thread; the first validates and writes one entry', async () => {
  const s = await setup();
  try {
    const first = await run(s.args, s.env);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(validatedIn(first), 'the first run validated in full');
    assert.equal(s.entries().length, 1, 'one entry, in the compile cache folder');
    assert.deepEqual(readdirSync(s.dir).sort(), ['cache', 'd.yaml'], 'nothing written beside the topology (the lock file is removed at the stop)');
    const second = await run(s.args, s.env);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(hitIn(second), `the second run came from the cache; it loaded ${second.loaded.filter((u) => VALIDATION.some((m) => u.includes(m))).join(', ')}`);
    // Turned off: validated in full again, and nothing written.
    rmSync(s.cache, { recursive: true, force: true });
    const off = await run(s.args, { ...s.env, ACTOR_RUNTIME_CACHE: '0' });
    assert.equal(off.code, 0, off.stderr);
    assert.ok(validatedIn(off), 'ACTOR_RUNTIME_CACHE=0 validates');
    assert.deepEqual(s.entries(), [], 'and writes no entry');
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('an edited topology is validated again, its errors reported exactly as with the cache off', async () => {
  const s = await setup();
  try {
    assert.equal((await run(s.args, s.env)).code, 0);
    const good = readFileSync(s.file, 'utf8');
    // A wrong value (the schema's message) and a wrong key (every expected key named).
    for (const bad of [good.replace(/Port: \d+/, 'Port: 99999'), `${good}lotery: {}\n`]) {
      writeFileSync(s.file, bad);
      const cached = await run(s.args, s.env);
      const plain = await run(s.args, { ...s.env, ACTOR_RUNTIME_CACHE: '0' });
      assert.equal(cached.code, 2, cached.stderr);
      assert.equal(cached.stderr, plain.stderr, 'the same message');
      assert.ok(cached.stderr.includes(s.file), 'it names the file');
    }
    // Back to the good text: the entry is still of it (a file with errors is never cached), so a hit.
    writeFileSync(s.file, good);
    assert.ok(hitIn(await run(s.args, s.env)), 'a hit again once unchanged');
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('an edit to a file the topology names (the dispatcher config.json) is noticed: validated again and its error reported as before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'topology-cache-'));
  try {
    const port = await freePort();
    const config = join(dir, 'config.json');
    const entry = (p: number) => ({ '2_NumDispatchers': 1, dispatch01: { IP: '127.0.0.1', Port: p, NumThreads: 1, MaxConnections: 10, StopTimeout: 1, LogLevel: 1, IpcFile: join(dir, 'ipc'), Workers: { Min: 1, Max: 1 } } });
    writeFileSync(config, JSON.stringify(entry(port)));
    const file = join(dir, 't.yaml');
    writeFileSync(file, 'threads: 0\nlogLevel: error\ndispatchers: { config: ./config.json }\n');
    const env = { NODE_COMPILE_CACHE: join(dir, 'cache') };
    const args = ['run', file, '--for', '0.2', '--no-control'];
    assert.equal((await run(args, env)).code, 0);
    assert.ok(hitIn(await run(args, env)), 'a hit while config.json is unchanged');
    writeFileSync(config, JSON.stringify(entry(99999)));
    const cached = await run(args, env);
    const plain = await run(args, { ...env, ACTOR_RUNTIME_CACHE: '0' });
    assert.equal(cached.code, 2, cached.stderr);
    assert.match(cached.stderr, /dispatch01\.Port/);
    assert.equal(cached.stderr, plain.stderr, 'the same message as without the cache');
    rmSync(config);
    const gone = await run(args, env);
    assert.equal(gone.code, 2, 'a config.json removed since is reported, not run from the cache');
    assert.match(gone.stderr, /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt entry, an unreadable one, and an entry written by other code are misses: the run validates in full and works', async () => {
  const s = await setup();
  try {
    assert.equal((await run(s.args, s.env)).code, 0);
    const [entry] = s.entries();
    const good = readFileSync(entry, 'utf8');
    // Corrupt: garbage bytes, then a truncated entry.
    for (const bytes of ['\u0000\u00ff garbage', good.slice(0, good.length >> 1)]) {
      writeFileSync(entry, bytes);
      const r = await run(s.args, s.env);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(validatedIn(r), 'validated in full');
      assert.equal(readFileSync(entry, 'utf8').length > 0 && JSON.parse(readFileSync(entry, 'utf8')).format, 1, 'and the entry written again');
    }
    // Other code: an entry recording another mtime for the dispatcher's schema module (what an edit of it looks like).
    const e = JSON.parse(readFileSync(entry, 'utf8')) as { code: [string, number, number][] };
    const schema = e.code.find(([f]) => f.endsWith('actors/dispatcher/config/schema.ts'));
    assert.ok(schema, 'the schema module is among the code the entry depends on');
    assert.ok(e.code.some(([f]) => f.endsWith('node_modules/zod/package.json')), 'and zod, by its package.json');
    schema[1] -= 1000;
    writeFileSync(entry, JSON.stringify(e));
    const changed = await run(s.args, s.env);
    assert.equal(changed.code, 0, changed.stderr);
    assert.ok(validatedIn(changed), 'a change of the code validates in full');
    assert.ok(hitIn(await run(s.args, s.env)), 'and the next run is a hit again');
    // Written by another installation sharing the folder (another checkout or version): not used.
    const other = JSON.parse(readFileSync(entry, 'utf8')) as { installation: string };
    assert.equal(other.installation, root, 'the entry names the installation that wrote it');
    other.installation = '/elsewhere/actor-runtime/';
    writeFileSync(entry, JSON.stringify(other));
    const foreign = await run(s.args, s.env);
    assert.equal(foreign.code, 0, foreign.stderr);
    assert.ok(validatedIn(foreign), "another installation's entry is not used");
    // Writable by others (planted, or made so): not trusted, validated in full (and replaced).
    chmodSync(entry, 0o666);
    const open = await run(s.args, s.env);
    assert.equal(open.code, 0, open.stderr);
    assert.ok(validatedIn(open), 'an entry others may write is not used');
    // Unreadable: the entry's path is a folder (it can be neither read nor replaced).
    rmSync(entry);
    mkdirSync(entry);
    const r = await run(s.args, s.env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(validatedIn(r), 'an unreadable entry: validated in full, silently');
    assert.doesNotMatch(r.stderr, /cache|EISDIR|actor-runtime-topologies/i, 'nothing said about the cache');
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('textHash: equal texts hash alike; a one-character edit changes the hash', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 0xffff }), (s, at, delta) => {
      assert.equal(textHash(s), textHash(String(s)));
      if (s.length === 0) return;
      const i = at % s.length;
      const edited = s.slice(0, i) + String.fromCharCode((s.charCodeAt(i) + delta) % 0x10000) + s.slice(i + 1);
      if (edited !== s) assert.notEqual(textHash(edited), textHash(s));
    }),
  );
});

test('a cache folder keeps at most MAX_ENTRIES entries, the least recently written going first', async () => {
  const { MAX_ENTRIES, readEntry, writeEntry } = await import('../../runtime/kernel/derived-cache.ts');
  const dir = mkdtempSync(join(tmpdir(), 'derived-cache-'));
  try {
    const folder = join(dir, 'c');
    for (let i = 0; i < MAX_ENTRIES + 5; i++) writeEntry(folder, `e${i}`, { i });
    const names = readdirSync(folder);
    assert.equal(names.length, MAX_ENTRIES);
    assert.deepEqual(readEntry(folder, `e${MAX_ENTRIES + 4}`), { i: MAX_ENTRIES + 4 }, 'the newest is kept');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
