// `lottery run` starts its server process before its command line loads (actors/lottery/run-early.ts).
// Property: over command lines built from `lottery run`'s own options (valid and invalid values,
// both spellings, any order), whenever the early reading starts a server, commander parses the
// same line and runAll's checks pass with exactly that server's plan. Processes: a run through
// the installed command (bin/actor-runtime.mjs) uses the early server (one server process, the
// contract kept, a port chosen by the server); a run that fails after the early start (missing
// data) reports the same one-line error as before, and leaves no server running and no temp
// folder behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Command } from 'commander';
import { registerLotteryCommands } from '../../actors/lottery/cli.ts';
import { earlyPlan, planFor } from '../../actors/lottery/run-early.ts';
import { generateData } from '../../actors/lottery/dataset.ts';
import { lint, tmp } from './helpers.ts';

const BIN = new URL('../../bin/actor-runtime.mjs', import.meta.url).pathname;

type RunOpts = { agencies: string; servers?: string; port?: string; serverData?: string; protocol?: string; startOrder?: string; processes?: boolean; agencyProcesses?: boolean };

/** What commander makes of `lottery run <args>` with the real definition (the action replaced), or null when it refuses. */
function parsed(args: string[]): RunOpts | null {
  const program = new Command('actor-runtime').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerLotteryCommands(program);
  const run = program.commands.find((c) => c.name() === 'lottery')!.commands.find((c) => c.name() === 'run')!;
  let got: RunOpts | null = null;
  for (const c of [program, program.commands[0], run]) c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  run.action((o: RunOpts) => {
    got = o;
  });
  try {
    program.parse(['node', 'actor-runtime', 'lottery', 'run', ...args]);
  } catch {
    return null;
  }
  return got;
}

const VALUED: [string, string[]][] = [
  ['--agencies', ['0', '1', '5', '05', '12', 'x', '-1', '1.5', '']],
  ['--servers', ['1', '2', '64', '65', '0', 'a']],
  ['--port', ['0', '12345', 'x', '1e3']],
  ['--server-data', ['d', '/tmp/x', '']],
  ['--data', ['d']],
  ['--batch-max', ['9999', '3']],
  ['--protocol', ['A', 'b', 'mixed', 'C']],
  ['--log-level', ['INFO']],
  ['--start-order', ['server-first', 'random', 'x']],
];
const option = fc.oneof(
  fc.tuple(fc.constantFrom(...VALUED), fc.nat(), fc.boolean()).map(([[o, values], i, joined]) => {
    const v = values[i % values.length];
    return joined ? [`${o}=${v}`] : [o, v];
  }),
  fc.constantFrom(['--no-check'], ['--agency-processes'], ['--processes'], ['--help'], ['extra'], ['--bogus', '1']),
);

describe('lottery run: the server started early', () => {
  it('property: an early start happens only for a line commander accepts and runAll checks, with runAll\'s own plan', () => {
    fc.assert(
      fc.property(fc.array(option, { maxLength: 6 }), (opts) => {
        const args = opts.flat();
        const plan = earlyPlan(args);
        if (plan === null) return;
        const o = parsed(args);
        assert.ok(o, `commander refuses ${JSON.stringify(args)}`);
        const n = Number(o.agencies);
        const k = Number(o.servers ?? 1);
        assert.ok(Number.isInteger(n) && n >= 0 && Number.isInteger(k) && k >= 1 && k <= 64, JSON.stringify(o));
        assert.ok(['A', 'B', 'MIXED'].includes((o.protocol ?? 'A').toUpperCase()));
        assert.ok(!o.processes && !o.agencyProcesses && (o.startOrder ?? 'server-first') === 'server-first');
        assert.deepEqual(plan, planFor(o, n, k));
      }),
      { numRuns: 500 },
    );
  });

  it('no early start for help, cluster servers, agency processes, a random order or an unknown option', () => {
    for (const args of [['--help'], ['--agencies', '2', '-h'], ['--agencies', '2', '--processes'], ['--agencies', '2', '--agency-processes'], ['--agencies', '2', '--start-order', 'random'], ['--agencies', '2', '--what']]) {
      assert.equal(earlyPlan(args), null, args.join(' '));
    }
    assert.deepEqual(earlyPlan(['--agencies', '3', '--server-data=/x', '--no-check']), { agencies: 3, servers: 1, serverData: '/x' });
  });

  /** Runs the installed command with its own temp folder (the compile cache where it was); resolves with its output and exit code. */
  function bin(args: string[], tmpDir: string): Promise<{ code: number | null; out: string[]; err: string[] }> {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', TMPDIR: tmpDir, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'node-compile-cache') }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    const err: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => out.push(l));
    createInterface({ input: child.stderr! }).on('line', (l) => err.push(l));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  }

  it('a run through the installed command: one server, the port it chose, the whole contract, its temp folder kept for the user', async () => {
    const data = tmp();
    const g = generateData({ agencies: 2, rows: 50, seed: 21, out: data, winnersPerAgency: (a) => a });
    const t = mkdtempSync(join(tmpdir(), 'lottery-early-'));
    try {
      const r = await bin(['lottery', 'run', '--agencies', '2', '--data', data], t);
      assert.equal(r.code, 0, r.err.join('\n'));
      lint(r.out, { clients: ['client1', 'client2'], expectedBets: 100, expectDraw: true, expectedWinners: { client1: g.winners[1], client2: g.winners[2] } });
      assert.equal(r.out.filter((l) => l === 'server exited with code 0').length, 1);
      assert.equal(r.out.filter((l) => l.startsWith('server | ') && l.includes('action: config')).length, 1, 'one server process');
      const announced = r.err.find((l) => l.startsWith('lottery run: 2 agencies'));
      assert.match(announced ?? '', /port [1-9]\d*, bets\.csv in .*\(the server started before the command line loaded\)$/, r.err.join('\n'));
      const port = /port (\d+),/.exec(announced!)![1];
      assert.ok(r.out.some((l) => l.includes(`server_address: 127.0.0.1:${port}`)), 'the agencies were told the port the server chose');
      const made = readdirSync(t).filter((f) => f.startsWith('lottery-run-'));
      assert.equal(made.length, 1, 'the run leaves its data folder for the user');
      assert.ok(readdirSync(join(t, made[0])).includes('bets.csv'));
    } finally {
      rmSync(t, { recursive: true, force: true });
    }
  });

  it('a run that fails after the early start: the same one-line error, exit 2, no server left, no temp folder left', async () => {
    const data = tmp();
    generateData({ agencies: 1, rows: 5, seed: 3, out: data });
    const t = mkdtempSync(join(tmpdir(), 'lottery-early-'));
    try {
      const r = await bin(['lottery', 'run', '--agencies', '2', '--data', data], t);
      assert.equal(r.code, 2, r.err.join('\n'));
      assert.deepEqual(r.err, [`error: ${join(data, 'agency-2.csv')} not found (the data set has fewer than 2 agencies)`]);
      assert.deepEqual(r.out, [], 'nothing of the server reaches the output');
      // The early server was stopped before the exit (its data folder, made by the launcher, is gone with it).
      assert.deepEqual(readdirSync(t), []);
    } finally {
      rmSync(t, { recursive: true, force: true });
    }
  });
});
