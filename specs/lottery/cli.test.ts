// Generators and checks (lottery.md §3 Ex1-3): `lottery topology` (N = 0 works, --compose in the
// upstream shape) loads with the kernel's topology loader and runs; the upstream-named wrappers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { registerSubsystem } from '../../runtime/index.ts';
import { validateTopology } from '../../runtime/kernel/topology.ts';
import { lotterySubsystem } from '../../actors/lottery/index.ts';
import { REPO_ROOT } from '../../actors/lottery/dataset.ts';
import { generateData } from '../../actors/lottery/dataset.ts';
import { lint, lottery, serverReady, tmp } from './helpers.ts';

registerSubsystem(lotterySubsystem);

function sh(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn('sh', [join(REPO_ROOT, script), ...args], { env: { ...process.env, ...env } });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

describe('lottery generators and checks', () => {
  for (const n of [0, 3]) {
    it(`topology --agencies ${n} validates against the topology schema and lists agencies 1…${n}`, async () => {
      const dir = tmp();
      const out = join(dir, 'lottery.yaml');
      const p = lottery(['topology', '--agencies', String(n), '--servers', '2', '--out', out, '--compose', join(dir, 'docker-compose-dev.yaml')]);
      assert.equal(await p.exited, 0);
      const doc = YAML.parse(readFileSync(out, 'utf8'));
      const t = validateTopology(out, out, doc);
      const section = t.sections.find((s) => s.section.key === 'lottery')!.config as { agencies: number; servers: number; clients: { id: number; file: string }[] };
      assert.equal(section.agencies, n);
      assert.equal(section.servers, 2);
      assert.deepEqual(section.clients.map((c) => c.id), Array.from({ length: n }, (_, i) => i + 1));
      assert.equal(new Set(section.clients.map((c) => c.file)).size, n, 'each agency has its own data file');
      const compose = YAML.parse(readFileSync(join(dir, 'docker-compose-dev.yaml'), 'utf8'));
      assert.deepEqual(Object.keys(compose.services), ['server', ...Array.from({ length: n }, (_, i) => `client${i + 1}`)]);
      assert.ok(compose.services.server.environment.includes(`AGENCIES=${n}`));
      for (let i = 1; i <= n; i++) assert.ok(compose.services[`client${i}`].environment.includes(`CLI_ID=${i}`));
      assert.equal(compose.networks.testing_net.ipam.config[0].subnet, '172.25.125.0/24');
    });
  }

  it('a generated topology runs under `actor-runtime run` with agencies as actors', async () => {
    const dir = tmp();
    generateData({ agencies: 2, rows: 50, seed: 3, out: join(dir, 'data'), winnersPerAgency: (a) => a });
    const out = join(dir, 'lottery.yaml');
    const g = lottery(['topology', '--agencies', '2', '--port', '0', '--protocol', 'mixed', '--data', join(dir, 'data'), '--out', out]);
    assert.equal(await g.exited, 0);
    const run = spawn(process.execPath, [join(REPO_ROOT, 'bin/actor-runtime.ts'), 'run', out, '--no-control', '--for', '30'], { env: { ...process.env, LOG_LEVEL: 'warn' } });
    let text = '';
    run.stdout.on('data', (d) => (text += d));
    const code = await new Promise((r) => run.on('close', r));
    assert.equal(code, 0);
    const report = lint(text.trim().split('\n'), { expectDraw: true, expectedBets: 100, expectedWinners: { client1: 1, client2: 2 } });
    assert.equal(report.sorteo, 1);
  });

  it('generar-compose.sh <output> <N> keeps the upstream name and arguments', async () => {
    const out = join(tmp(), 'docker-compose-dev.yaml');
    assert.equal((await sh('generar-compose.sh', [out, '4'])).code, 0);
    const compose = YAML.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(Object.keys(compose.services), ['server', 'client1', 'client2', 'client3', 'client4']);
  });

  it('validar-echo-server.sh prints exactly one line: success against an echo server, fail without one', async () => {
    const server = lottery(['server', '--host', '127.0.0.1', '--port', '0', '--mode', 'echo']);
    const port = await serverReady(server);
    const ok = await sh('validar-echo-server.sh', [], { SERVER_ADDRESS: `127.0.0.1:${port}` });
    assert.deepEqual([ok.code, ok.out], [0, 'action: test_echo_server | result: success\n']);
    server.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    const bad = await sh('validar-echo-server.sh', [], { SERVER_ADDRESS: `127.0.0.1:${port}` });
    assert.deepEqual([bad.code, bad.out], [1, 'action: test_echo_server | result: fail\n']);
  });
});
