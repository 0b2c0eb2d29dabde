// Interoperation with the two public student systems of lottery.md §6 on the official data set
// (issue 11: "the student clients against our server, and our agencies against both student
// servers (one of which never answers a close), still end with winners 2,3,3,2,0"):
//   protocol A: moyanoandres/tp0-base (Python server, Go client), HEAD;
//   protocol B: efoppiano/tp0, branch ej8 (Python server, Go client).
// Their sources come from local git mirrors (TP0_STUDENT_MIRRORS, default ../.mirror next to the
// project, as the `fetch` tool leaves them: <owner>+<name>/repo); Go (golang-go) builds their
// clients, python3 runs their servers. Each test skips, saying why, when any of that is missing.
// Copies are patched only where Docker supplied a volume: absolute paths (/data/agency.csv,
// /shared-volume/...) become paths under the copy. Run: npm run test:interop.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActorSystem } from '../../runtime/index.ts';
import { resolveDataset } from '../../actors/lottery/dataset.ts';
import { LOTTERY_MODULES } from '../../actors/lottery/modules.ts';
import { freePort } from '../dispatcher/helpers.ts';
import { betsCsv, clientSettings, runAgencies, startInProcess, tmp } from './helpers.ts';

const MIRRORS = process.env.TP0_STUDENT_MIRRORS ?? resolve(import.meta.dirname, '../../../.mirror');
const SYSTEMS = {
  A: { repo: join(MIRRORS, 'moyanoandres+tp0-base', 'repo'), ref: 'HEAD' },
  B: { repo: join(MIRRORS, 'efoppiano+tp0', 'repo'), ref: 'ej8' },
} as const;
const WINNERS = { 1: 2, 2: 3, 3: 3, 4: 2, 5: 0 };

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

const data = resolveDataset(undefined, 5);
function missing(p: 'A' | 'B', needGo: boolean): string | false {
  if (!data.official) return 'the official data set (../shared/datasets/tp0/dataset.zip) is not here';
  if (!existsSync(SYSTEMS[p].repo)) return `no mirror of the student system at ${SYSTEMS[p].repo} (set TP0_STUDENT_MIRRORS)`;
  if (!has('git', ['--version'])) return 'git is not installed';
  if (needGo && !has('go', ['version'])) return 'Go is not installed (apt-get install golang-go)';
  if (!needGo && !has('python3', ['--version'])) return 'python3 is not installed';
  return false;
}

/** A copy of the system's sources at its ref, with `patch` applied to the files it names. */
function checkout(p: 'A' | 'B', patch: Record<string, [string, string][]>): string {
  const dir = tmp(`tp0-${p}-`);
  const archive = execFileSync('git', ['--git-dir', SYSTEMS[p].repo, 'archive', SYSTEMS[p].ref], { maxBuffer: 1 << 28 });
  const r = spawnSync('tar', ['-x', '-C', dir], { input: archive });
  assert.equal(r.status, 0, String(r.stderr));
  for (const [file, edits] of Object.entries(patch)) {
    let text = readFileSync(join(dir, file), 'utf8');
    for (const [from, to] of edits) {
      assert.ok(text.includes(from), `${file} no longer holds ${from}`);
      text = text.split(from).join(to);
    }
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

function goBuild(dir: string): string {
  const out = join(dir, 'client-bin');
  execFileSync('go', ['build', '-mod=vendor', '-o', out, './client'], { cwd: dir, env: { ...process.env, GOFLAGS: '-mod=vendor', GOTOOLCHAIN: 'local' }, stdio: 'pipe' });
  return out;
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Run {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  return { child, output: () => out, exited: new Promise((r) => child.on('close', (code) => r(code))) };
}

const cantGanadores = (text: string): number | null => {
  const m = /cant_ganadores: (\d+)/.exec(text);
  return m ? Number(m[1]) : null;
};

let system: ActorSystem;
before(async () => {
  system = await ActorSystem.start({ name: 'students', threads: 0, preload: LOTTERY_MODULES, logLevel: 'error' });
});
after(async () => {
  await system.stop(3000);
});

describe('interop: our agencies against the student servers (official data)', () => {
  it('protocol A (moyanoandres Python server): winners 2,3,3,2,0', { skip: missing('A', false) }, async () => {
    const dir = checkout('A', {});
    const port = await freePort();
    const server = run('python3', ['main.py'], join(dir, 'server'), { SERVER_PORT: String(port), LOGGING_LEVEL: 'INFO', PYTHONUNBUFFERED: '1' });
    try {
      const clients = [1, 2, 3, 4, 5].map((a) => clientSettings(a, port, join(data.dir, `agency-${a}.csv`), { protocol: 'A', connectRetryMs: 20_000 }));
      const out = await runAgencies(system, clients);
      assert.equal(out.code, 0, server.output().slice(-2000));
      assert.deepEqual(out.winners, WINNERS);
      const stored = readFileSync(join(dir, 'server', 'bets.csv'), 'utf8').split('\n').filter((l) => l.length > 0).length;
      assert.equal(stored, 78_697, 'their bets.csv');
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  });

  it('protocol B (efoppiano Python server, never answers a close): winners 2,3,3,2,0', { skip: missing('B', false) }, async () => {
    const shared = ['/shared-volume/', './shared-volume/'] as [string, string];
    const dir = checkout('B', { 'server/common/ipc/FLock.py': [shared], 'server/common/ipc/closed_agencies.py': [shared] });
    mkdirSync(join(dir, 'server', 'shared-volume', 'locks'), { recursive: true });
    const port = await freePort();
    const server = run('python3', ['main.py'], join(dir, 'server'), { SERVER_PORT: String(port), AGENCIES_AMOUNT: '5', LOGGING_LEVEL: 'INFO', PYTHONUNBUFFERED: '1' });
    try {
      const clients = [1, 2, 3, 4, 5].map((a) => clientSettings(a, port, join(data.dir, `agency-${a}.csv`), { protocol: 'B', connectRetryMs: 20_000 }));
      const out = await runAgencies(system, clients);
      assert.equal(out.code, 0, server.output().slice(-2000));
      assert.deepEqual(out.winners, WINNERS);
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  });
});

describe('interop: the student Go clients against our server (official data)', () => {
  for (const p of ['A', 'B'] as const) {
    it(`protocol ${p} (${p === 'A' ? 'moyanoandres' : 'efoppiano'} Go clients): winners 2,3,3,2,0, every row stored once`, { skip: missing(p, true) }, async () => {
      const dir = checkout(p, p === 'A' ? { 'client/common/client.go': [['"/data/agency.csv"', '"./data/agency.csv"']] } : {});
      const bin = goBuild(dir);
      const srv = await startInProcess({ agencies: 5 });
      try {
        const runs = [1, 2, 3, 4, 5].map((a) => {
          const cwd = join(dir, `agency-${a}`);
          mkdirSync(join(cwd, 'data'), { recursive: true });
          copyFileSync(join(data.dir, `agency-${a}.csv`), join(cwd, 'data', p === 'A' ? 'agency.csv' : `agency-${a}.csv`));
          const yaml =
            p === 'A'
              ? `server:\n  address: "127.0.0.1:${srv.port}"\nloop:\n  lapse: "0m20s"\n  period: "5s"\nlog:\n  level: "info"\npacket:\n  batchsize: "70"\n`
              : `server:\n  address: "127.0.0.1:${srv.port}"\nbatch_size: 63\nretry_sleep: "50ms"\nretry_sleep_max: "10s"\nlog:\n  level: "info"\n`;
          writeFileSync(join(cwd, 'config.yaml'), yaml);
          return run(bin, [], cwd, { CLI_ID: String(a) });
        });
        const codes = await Promise.all(runs.map((r) => r.exited));
        const winners = Object.fromEntries(runs.map((r, i) => [i + 1, cantGanadores(r.output())]));
        assert.deepEqual(codes, [0, 0, 0, 0, 0], runs.map((r) => r.output().slice(-600)).join('\n---\n'));
        assert.deepEqual(winners, WINNERS);
        assert.equal(betsCsv(srv.dataDir).length, 78_697);
      } finally {
        await srv.stop();
      }
    });
  }
});
