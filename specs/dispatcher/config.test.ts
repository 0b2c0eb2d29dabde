// Acceptance A18, A19 and the loading rules of dispatcher.md §2: the original config.json loads
// unchanged (and is never written), errors exit 2 naming the key path, TuxCliSetup gives the pool,
// native documents and topology files with overrides, and the single-instance lock (exit 3).
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, defaultConfigText, loadConfigFile, resolveDocument } from '../../actors/dispatcher/config/index.ts';
import { dispatcherSubsystem, resolveSection } from '../../actors/dispatcher/index.ts';
import { registerSubsystem, type Subsystem } from '../../runtime/kernel/subsystem.ts';
import { loadTopology } from '../../runtime/kernel/topology.ts';
import { Client, freePort, runCli, running, sleep, tmpDir, tx } from './helpers.ts';

registerSubsystem(dispatcherSubsystem as Subsystem);

function writeJson(file: string, v: unknown): string {
  writeFileSync(file, typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  return file;
}

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail('expected a ConfigError');
}

const entry = (port: number, extra: Record<string, unknown> = {}) => ({ IP: '127.0.0.1', Port: port, TuxCliSetup: './tux', IpcFile: `./ipc${port}`, ...extra });

describe('configuration', () => {
  it('A19: the original auto-generated default file loads as is (jsoncpp styled)', () => {
    const dir = tmpDir();
    const file = writeJson(join(dir, 'config.json'), defaultConfigText(dir));
    writeJson(join(dir, 'TuxCliSetup'), '{\n\t"max_tux_cli" : 4,\n\t"min_tux_cli" : 2,\n\t"xml_n_term" : 1\n}\n');
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes('\t"2_NumDispatchers" : 1,'));
    const topo = loadTopology(file);
    assert.equal(topo.adoptedBy, 'dispatcher');
    const [c] = loadConfigFile(file);
    assert.equal(c.Name, 'dispatch01');
    assert.deepEqual([c.IP, c.Port, c.NumThreads, c.MaxConnections, c.StopTimeout, c.LogLevel], ['127.0.0.1', 9000, 20, 1500, 30, 3]);
    assert.deepEqual(c.Workers, { Min: 2, Max: 4, IdleMs: 60000 });
    assert.equal(c.Framing, 'legacy');
    assert.equal(c.Protocol, 'legacy-tx');
    assert.deepEqual(c.Handler, { Kind: 'legacy-tx', ServiceDelayMs: 1000 });
    assert.equal(c.MaxFrameBytes, 8192);
    assert.equal(c.LockFile, join(dir, 'ipcfile_dispatch01'));
    assert.equal(readFileSync(file, 'utf8'), text, 'never written');
  });

  it('A19: without 2_NumDispatchers or with a missing Port: exit 2, key path named, file byte-identical', async () => {
    const dir = tmpDir();
    const noCount = writeJson(join(dir, 'a.json'), { dispatch01: entry(9000) });
    const before = readFileSync(noCount);
    const r1 = runCli(['run', noCount, '--no-control']);
    const e1 = await r1.exited;
    assert.equal(e1.code, 2);
    assert.match(r1.stderr(), /2_NumDispatchers/);
    assert.deepEqual(readFileSync(noCount), before);

    const noPort = writeJson(join(dir, 'b.json'), { '2_NumDispatchers': 1, dispatch01: { IP: '127.0.0.1', TuxCliSetup: './tux', IpcFile: './ipc' } });
    writeJson(join(dir, 'tux'), { min_tux_cli: 1 });
    const before2 = readFileSync(noPort);
    const r2 = runCli(['run', noPort, '--no-control']);
    assert.equal((await r2.exited).code, 2);
    assert.match(r2.stderr(), /dispatch01\.Port/);
    assert.deepEqual(readFileSync(noPort), before2);
  });

  it('errors name the key path', () => {
    const dir = tmpDir();
    writeJson(join(dir, 'tux'), { min_tux_cli: 2, max_tux_cli: 3 });
    const f = join(dir, 'c.json');
    const p = (doc: unknown) => problems(() => resolveDocument(doc, f));
    assert.match(p({ '2_NumDispatchers': 0 })[0], /^2_NumDispatchers: expected an integer ≥ 1, found number 0/);
    assert.match(p({ '2_NumDispatchers': '1' })[0], /^2_NumDispatchers: .*string "1"/);
    assert.match(p({ '2_NumDispatchers': 2, dispatch01: entry(1) })[0], /^dispatch02: missing/);
    assert.match(p({ '2_NumDispatchers': 1, dispatch01: entry(70000) })[0], /^dispatch01\.Port: expected an integer 1\.\.65535, found number 70000/);
    assert.match(p({ '2_NumDispatchers': 1, dispatch01: entry(1, { NumThreads: 'x' }) })[0], /^dispatch01\.NumThreads: /);
    assert.match(p({ '2_NumDispatchers': 1, dispatch01: entry(1, { IP: 'localhost' }) })[0], /^dispatch01\.IP: /);
    assert.match(p({ '2_NumDispatchers': 1, dispatch01: entry(1, { LogLevel: 7 }) })[0], /^dispatch01\.LogLevel: /);
    assert.match(p({ '2_NumDispatchers': 1, dispatch01: entry(1, { Allow: ['10.0.0.0/33'] }) })[0], /^dispatch01\.Allow\[0\]: /);
    assert.match(p({ '2_NumDispatchers': 2, dispatch01: entry(1), dispatch02: entry(1, { IpcFile: './other' }) }).join('\n'), /dispatch02\.Port: 127\.0\.0\.1:1 is already used by dispatch01/);
    assert.match(p({ '2_NumDispatchers': 2, dispatch01: entry(1), dispatch02: entry(2, { IpcFile: './ipc1' }) }).join('\n'), /dispatch02\.IpcFile: .* is already used by dispatch01/);
    assert.match(p({ '2_NumDispatchers': 1, dispatch01: entry(1, { TuxCliSetup: './nope' }) })[0], /^dispatch01\.TuxCliSetup: cannot use .*nope \(ENOENT\)/);
    writeJson(join(dir, 'tux0'), { min_tux_cli: 0 });
    assert.match(p({ '2_NumDispatchers': 1, dispatch01: entry(1, { TuxCliSetup: './tux0' }) })[0], /min_tux_cli: expected an integer ≥ 1/);
    writeJson(join(dir, 'tuxbad'), '{nope');
    assert.match(p({ '2_NumDispatchers': 1, dispatch01: entry(1, { TuxCliSetup: './tuxbad' }) })[0], /not valid JSON/);
    assert.match(p({ '2_NumDispatchers': 1, dispatch01: entry(1, { Protocol: 'json' }) })[0], /Handler\.Kind: the built-in legacy-tx service needs Protocol "legacy-tx"/);
    assert.match(p({ Version: 2, Dispatchers: [{ IP: '127.0.0.1', Port: 5 }] })[0], /^Dispatchers\[0\]\.Handler: missing/);
    assert.match(p({ Version: 2, Dispatchers: [{ IP: '127.0.0.1', Port: 5, Handler: { Kind: 'module' } }] })[0], /^Dispatchers\[0\]\.Handler\.Module: /);
    assert.match(p({ Version: 2, Dispatchers: [{ IP: '127.0.0.1', Port: 5, Handlr: 1 }] })[0], /unknown key "Handlr"/);
  });

  it('missing fields take defaults with a warning; unknown keys and §2.5 keys are allowed inside dispatchNN; TuxCliSetup gives Workers unless set', () => {
    const dir = tmpDir();
    writeJson(join(dir, 'tux'), { min_tux_cli: 2, max_tux_cli: 3, xml_n_term: 1 });
    const f = join(dir, 'c.json');
    const doc: Record<string, unknown> = { '1_Note': 'n', '1_Version': 1, '2_NumDispatchers': 10, other: true };
    for (let i = 1; i <= 10; i++) doc[i < 10 ? `dispatch0${i}` : `dispatch${i}`] = entry(9000 + i, { Custom: 'kept' });
    (doc.dispatch03 as Record<string, unknown>).Framing = 'ndjson';
    (doc.dispatch03 as Record<string, unknown>).Allow = ['127.0.0.1'];
    (doc.dispatch04 as Record<string, unknown>).Workers = { Min: 1, Max: 5 };
    (doc.dispatch04 as Record<string, unknown>).TuxCliSetup = './missing-but-not-needed';
    const cs = resolveDocument(doc, f);
    assert.equal(cs.length, 10);
    assert.equal(cs[9].Name, 'dispatch10');
    assert.equal(cs[0].NumThreads, 20);
    assert.ok(cs[0].warnings.some((w) => /dispatch01\.NumThreads missing; using 20/.test(w)));
    assert.deepEqual(cs[0].Workers, { Min: 2, Max: 3, IdleMs: 60000 });
    assert.equal(cs[2].Framing, 'ndjson');
    assert.deepEqual(cs[2].Allow, ['127.0.0.1']);
    assert.deepEqual(cs[3].Workers, { Min: 1, Max: 5, IdleMs: 60000 });
    assert.equal(cs[0].TuxCliSetup, join(dir, 'tux'), 'relative paths resolve against the config folder');
  });

  it('native documents and topology files (inline entries, an original file with overrides)', async () => {
    const dir = tmpDir();
    const nat = resolveDocument({ Version: 2, Dispatchers: [{ IP: '::1', Port: 7000, Handler: { Kind: 'module', Module: './svc.js' } }] }, join(dir, 'n.json'));
    assert.equal(nat[0].Name, 'dispatch1');
    assert.equal(nat[0].Framing, 'length32');
    assert.equal(nat[0].Protocol, 'json');
    assert.equal(nat[0].MaxFrameBytes, 65536);
    assert.equal(nat[0].LockFile, join(dir, 'dispatch1.lock'));
    assert.deepEqual(nat[0].Workers, { Min: 1, Max: 1, IdleMs: 60000 });
    assert.ok(nat[0].Handler.Kind === 'module' && nat[0].Handler.Module === `file://${join(dir, 'svc.js')}`);

    writeJson(join(dir, 'tux'), { min_tux_cli: 1 });
    const legacy = writeJson(join(dir, 'config.json'), { '2_NumDispatchers': 1, dispatch01: entry(7100, { Framing: 'ndjson' }) });
    const cs = resolveSection({ config: './config.json', overrides: { dispatch01: { Framing: 'length32', Workers: { Min: 3 } } } }, join(dir, 't.yaml'), dir);
    assert.equal(cs[0].Framing, 'length32', 'override > file');
    assert.equal(cs[0].Protocol, 'legacy-tx', 'profile default');
    assert.deepEqual(cs[0].Workers, { Min: 3, Max: 3, IdleMs: 60000 });
    assert.ok(legacy);

    // Inline entries are checked by the topology loader with precise paths.
    const topo = join(dir, 'bad.yaml');
    writeFileSync(topo, 'dispatchers:\n  instances:\n    - { IP: 127.0.0.1, Port: 99999, Handler: { Kind: legacy-tx } }\n');
    assert.throws(() => loadTopology(topo), /dispatchers\.instances\[0\]\.Port/);
  });

  it('A18: a second runtime with the same IpcFile exits 3 "already running"; after kill -9 a fresh start succeeds', async () => {
    const dir = tmpDir();
    const port = await freePort();
    writeJson(join(dir, 'tux'), { min_tux_cli: 1 });
    const cfg = writeJson(join(dir, 'config.json'), { '2_NumDispatchers': 1, dispatch01: { ...entry(port, { IpcFile: './ipcfile' }), Handler: { Kind: 'legacy-tx', ServiceDelayMs: 0 } } });
    // an original-format IpcFile (SysV ids, not ours) is replaced
    writeFileSync(join(dir, 'ipcfile'), 'msg_common_id=1\nsem_conn_id=2\n');
    const first = runCli(['run', cfg, '--no-control']);
    await running(first);
    const second = runCli(['run', cfg, '--no-control']);
    const e2 = await second.exited;
    assert.equal(e2.code, 3, second.stderr());
    assert.match(second.stderr(), new RegExp(`dispatch01 already running \\(pid ${first.child.pid}, lock ${join(dir, 'ipcfile')}\\)`));
    const c = await Client.connect(port);
    c.send(tx('STILL'));
    await c.reply(1);
    c.close();
    first.child.kill('SIGKILL');
    await first.exited;
    const third = runCli(['run', cfg, '--no-control']);
    await running(third);
    const d = await Client.connect(port);
    d.send(tx('AGAIN'));
    await d.reply(1);
    d.close();
    third.child.kill('SIGTERM');
    assert.equal((await third.exited).code, 0);
  });

  it('an address in use exits 3 and leaves nothing behind', async () => {
    const dir = tmpDir();
    const blocker = net.createServer();
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as net.AddressInfo).port)));
    writeJson(join(dir, 'tux'), { min_tux_cli: 1 });
    const cfg = writeJson(join(dir, 'config.json'), { '2_NumDispatchers': 1, dispatch01: entry(port) });
    const r = runCli(['run', cfg, '--no-control']);
    assert.equal((await r.exited).code, 3, r.stderr());
    assert.match(r.stderr(), /EADDRINUSE|address already in use/);
    blocker.close();
    await sleep(10);
    assert.throws(() => readFileSync(join(dir, `ipc${port}`)), /ENOENT/, 'lock released');
  });
});
