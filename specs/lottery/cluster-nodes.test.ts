// The lottery with one topology per node (`role: core` / `role: acceptor` with the topology's own
// `nodes:` section and secret): a core node and two acceptor nodes as three `run` processes on
// loopback, agencies as separate processes against the acceptors' shared port; one `sorteo`, the
// right winners, every row stored once; SIGTERM stops each node with exit 0. A role without a
// `nodes:` section is refused with one line.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { generateData } from '../../actors/lottery/dataset.ts';
import { freePort } from '../../actors/lottery/server.ts';
import { betsCsv, lint, lottery, prefixed, tmp } from './helpers.ts';

const BIN = new URL('../../bin/actor-runtime.ts', import.meta.url).pathname;

interface Run {
  child: ChildProcess;
  lines: string[];
  errs: string[];
  exited: Promise<number | null>;
}

function run(file: string, env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [BIN, 'run', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const errs: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => errs.push(l));
  return { child, lines, errs, exited: new Promise((r) => child.on('close', (code) => r(code))) };
}

describe('lottery with one topology per node', () => {
  it('a core node and two acceptor nodes serve agencies to the draw; SIGTERM stops each with exit 0', async () => {
    const dir = tmp();
    const gen = generateData({ agencies: 2, rows: 500, seed: 29, out: join(dir, 'data'), winnersPerAgency: (a) => a + 1 });
    const port = await freePort();
    const linkPort = await freePort();
    const env = { ACTOR_RUNTIME_NODE_SECRET: randomBytes(16).toString('hex'), LOG_LEVEL: 'warn' };
    writeFileSync(
      join(dir, 'core.yaml'),
      ['name: l13-core', 'threads: 0', 'nodes:', '  name: core', `  listen: ws://127.0.0.1:${linkPort}`, 'lottery:', '  role: core', '  agencies: 2', `  server: { host: 127.0.0.1, port: ${port}, dataDir: ./server }`, ''].join('\n'),
    );
    for (const n of ['a', 'b']) {
      writeFileSync(
        join(dir, `acceptor-${n}.yaml`),
        [`name: l13-acceptor-${n}`, 'threads: 0', 'nodes:', `  name: acceptor-${n}`, `  peers: [{ name: core, url: "ws://127.0.0.1:${linkPort}" }]`, 'lottery:', '  role: acceptor', '  coreNode: core', '  agencies: 2', `  server: { host: 127.0.0.1, port: ${port}, listenBacklog: 64 }`, ''].join('\n'),
      );
    }
    // The acceptors first: they wait for the core's link before they listen.
    const accs = ['a', 'b'].map((n) => run(join(dir, `acceptor-${n}.yaml`), env));
    const core = run(join(dir, 'core.yaml'), env);
    const procs: { child: import('node:child_process').ChildProcess }[] = [...accs, core];
    try {
      // The agencies retry until an acceptor listens (connect-retry-ms).
      const agencies = [1, 2].map((id) =>
        lottery(['agency', '--id', String(id), '--server', `127.0.0.1:${port}`, '--file', join(dir, 'data', `agency-${id}.csv`), '--protocol', 'A', '--batch-max', '10', '--connect-retry-ms', '20000']),
      );
      for (const a of agencies) procs.push(a);
      for (const a of agencies) assert.equal(await a.exited, 0, a.stderr.join('\n'));
      for (const r of [...accs, core]) r.child.kill('SIGTERM');
      for (const r of [...accs, core]) assert.equal(await r.exited, 0, r.errs.join('\n'));
      // The nodes' lines in time order (the acceptors' before the core's within a second: every
      // batch is acknowledged before the draw that follows the last close).
      const at = (l: string): string => /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.exec(l)?.[0] ?? '';
      const servers = [...accs.flatMap((a) => a.lines), ...core.lines].sort((x, y) => at(x).localeCompare(at(y)));
      const report = lint([...servers, ...prefixed('client1', agencies[0].lines), ...prefixed('client2', agencies[1].lines)], {
        expectDraw: true,
        expectedBets: 1000,
        expectedWinners: { client1: gen.winners[1], client2: gen.winners[2] },
      });
      assert.equal(report.sorteo, 1);
      assert.ok(core.lines.some((l) => l.includes('action: sorteo')), 'the draw is the core\'s');
      assert.equal(betsCsv(join(dir, 'server')).length, 1000);
    } finally {
      // a failed assertion must not leave the nodes running (they would hold the suite open)
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
  });

  it('role without a nodes: section: one line, exit 1', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 't.yaml'), ['name: l13-bad', 'threads: 0', 'lottery:', '  role: acceptor', '  coreNode: core', '  agencies: 1', `  server: { port: 0, dataDir: ./server }`, ''].join('\n'));
    const r = run(join(dir, 't.yaml'), {});
    assert.equal(await r.exited, 1);
    const errors = r.errs.filter((l) => l.startsWith('error: '));
    assert.equal(errors.length, 1, r.errs.join('\n'));
    assert.match(errors[0], /lottery\.role: acceptor needs the topology's nodes: section/);
  });
});

