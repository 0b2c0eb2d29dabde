// The bundled server of `lottery run` (actors/lottery/server-bundle.ts): built by esbuild into a
// folder, used only while every module in it is unchanged (its manifest's mtimes and sizes, Node's
// version) and the start-up caches are on; and the bundle is a working server: real agency
// processes send their files to it, the draw happens, each gets its own winners, and it stops on
// SIGTERM with exit 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { generateData } from '../../actors/lottery/dataset.ts';
import { buildBundle, freshBundle } from '../../runtime/kernel/code-bundle.ts';
import { buildServerBundle, freshServerBundle } from '../../actors/lottery/server-bundle.ts';
import { betsCsv, details, lint, lottery, prefixed, tmp } from './helpers.ts';

describe('lottery server bundle', () => {
  const top = tmp('lottery-bundle-');
  const dir = join(top, 'nested', 'bundle');
  after(() => rmSync(top, { recursive: true, force: true }));

  it('is built, then used only while its modules, Node and the caches setting are unchanged', async () => {
    assert.equal(freshServerBundle(dir), null, 'nothing built yet');
    mkdirSync(dir, { recursive: true });
    assert.equal(await buildServerBundle(dir), true);
    const bundle = freshServerBundle(dir);
    assert.ok(bundle?.endsWith('lottery-server-loader.cjs'), String(bundle));
    const manifestPath = join(dir, 'lottery-server.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { node: string; inputs: [string, number, number][] };
    assert.ok(manifest.inputs.some(([f]) => f.endsWith('actors/lottery/betstore.ts')), 'our modules are in it');
    const write = (m: unknown): void => writeFileSync(manifestPath, JSON.stringify(m));
    const changed = (i: number, f: (s: [string, number, number]) => [string, number, number]) => ({ ...manifest, inputs: manifest.inputs.map((s, k) => (k === i ? f(s) : s)) });
    try {
      for (const [why, m] of [
        ['a module of another size', changed(3, ([f, t, n]) => [f, t, n + 1])],
        ['a module of another mtime', changed(0, ([f, t, n]) => [f, t - 1000, n])],
        ['a module gone', changed(1, ([f, t, n]) => [`${f}.gone`, t, n])],
        ['another Node', { ...manifest, node: 'v0.0.0' }],
        ['no modules', { ...manifest, inputs: [] }],
      ] as const) {
        write(m);
        assert.equal(freshServerBundle(dir), null, why);
      }
      writeFileSync(manifestPath, '{ not json');
      assert.equal(freshServerBundle(dir), null, 'a corrupt manifest');
      write(manifest);
      assert.equal(freshServerBundle(dir), bundle);
      const before = process.env.ACTOR_RUNTIME_CACHE;
      process.env.ACTOR_RUNTIME_CACHE = '0';
      try {
        assert.equal(freshServerBundle(dir), null, 'caches off');
        assert.equal(await buildServerBundle(dir), false, 'caches off: nothing built');
      } finally {
        if (before === undefined) delete process.env.ACTOR_RUNTIME_CACHE;
        else process.env.ACTOR_RUNTIME_CACHE = before;
      }
    } finally {
      write(manifest);
    }
  });

  /** One run of the bundled server (`entry`: its loader) with two real agency processes, checked. */
  async function serve(entry: string): Promise<void> {
    const data = tmp();
    const g = generateData({ agencies: 2, rows: 800, seed: 3, out: data, winnersPerAgency: (a) => a });
    const dataDir = tmp();
    const options = { host: '127.0.0.1', port: '0', agencies: '2', servers: '1', data: dataDir };
    const server = spawn(process.execPath, [entry], {
      env: { ...process.env, LOG_LEVEL: 'warn', AGENCIES: '2', LOTTERY_LOG_SOURCE: 'server', LOTTERY_SERVER_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const lines: string[] = [];
    const stderr: string[] = [];
    createInterface({ input: server.stdout! }).on('line', (l) => lines.push(l));
    createInterface({ input: server.stderr! }).on('line', (l) => stderr.push(l));
    const exited = new Promise<number | null>((r) => server.on('close', (code) => r(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        server.on('message', (m: { t?: string; port?: number }) => m?.t === 'ready' && resolve(m.port!));
        void exited.then((c) => reject(new Error(`server exited with ${c}: ${stderr.join('\n')}`)));
      });
      const agencies = [1, 2].map((id) => lottery(['agency', '--id', String(id), '--server', `127.0.0.1:${port}`, '--file', join(data, `agency-${id}.csv`), '--batch-max', '9999']));
      assert.deepEqual(await Promise.all(agencies.map((a) => a.exited)), [0, 0]);
      for (const [i, a] of agencies.entries()) {
        assert.equal(Number(details(prefixed(`client${i + 1}`, a.lines), 'consulta_ganadores')[0]?.cant_ganadores), g.winners[i + 1]);
      }
      server.kill('SIGTERM');
      assert.equal(await exited, 0, stderr.join('\n'));
      assert.deepEqual(stderr, [], 'nothing on stderr');
      lint(lines, { expectedBets: 1600 });
      assert.equal(betsCsv(dataDir).length, 1600);
    } finally {
      server.kill('SIGKILL');
    }
  }

  it('runs as the server: agencies store their files, the draw, each its own winners, SIGTERM exits 0', async () => {
    const bundle = freshServerBundle(dir) ?? ((await buildServerBundle(dir)) ? freshServerBundle(dir) : null);
    assert.ok(bundle, 'bundle built');
    await serve(bundle);
  });

  it('is built from inside a bundle too (the launcher runs from its bundle and builds the server\'s), and that build serves', async () => {
    // The builder bundled: what `lottery run` does when its launcher runs from lottery-run.cjs.
    const builder = { name: 'builder', entry: fileURLToPath(new URL('../../actors/lottery/server-bundle.ts', import.meta.url)) };
    const outer = tmp('lottery-bundle-outer-');
    const innerTop = tmp('lottery-bundle-inner-');
    after(() => {
      rmSync(outer, { recursive: true, force: true });
      rmSync(innerTop, { recursive: true, force: true });
    });
    assert.equal(await buildBundle(builder, outer), true);
    const loader = freshBundle(builder, outer);
    assert.ok(loader, 'the builder bundle');
    const bundled = createRequire(import.meta.url)(loader) as typeof import('../../actors/lottery/server-bundle.ts');
    const inner = join(innerTop, 'bundle');
    assert.equal(await bundled.buildServerBundle(inner), true, 'a bundled builder builds');
    const server = bundled.freshServerBundle(inner);
    assert.ok(server?.endsWith('lottery-server-loader.cjs'), String(server));
    // Our modules keep their own URLs in the inner bundle too (worker entries, data folders).
    const text = readFileSync(join(inner, 'lottery-server.cjs'), 'utf8');
    assert.ok(text.includes(JSON.stringify(new URL('../../actors/lottery/betstore.ts', import.meta.url).href)), 'betstore.ts keeps its URL');
    await serve(server!);
  });

  it('makes its code cache at the exit of its first run, starts from it after, and makes it again when V8 rejects it', async () => {
    assert.equal(await buildServerBundle(dir), true, 'a new build drops the last cache');
    const bundle = freshServerBundle(dir)!;
    const cache = join(dir, 'lottery-server.cjs.cache');
    assert.equal(existsSync(cache), false);
    await serve(bundle);
    const made = statSync(cache);
    assert.ok(made.size > 100_000, `a cache of the functions the run compiled (${made.size} bytes)`);
    await serve(bundle);
    assert.equal(statSync(cache).mtimeMs, made.mtimeMs, 'accepted: not written again');
    writeFileSync(cache, 'not a V8 code cache');
    await serve(bundle); // the same run from a cache V8 rejects
    assert.ok(statSync(cache).size > 100_000, 'and made again at its exit');
  });
});
