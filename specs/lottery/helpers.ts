// Helpers of the lottery tests: in-process servers and agencies (one system, all on the main
// thread, TP0 lines captured), child processes of the lottery entry, and the log linter that
// checks every line a test emits against the official parser rules.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ActorSystem } from '../../runtime/index.ts';
import { AgencyGroup, groupOutcome, type GroupOutcome } from '../../actors/lottery/agencies.ts';
import type { ClientSettings, ServerSettings } from '../../actors/lottery/config.ts';
import { checkLog, parseLine, type CheckOptions, type CheckReport } from '../../actors/lottery/logcheck.ts';
import { LOTTERY_MODULES } from '../../actors/lottery/modules.ts';
import { startServer, type ServerHandle } from '../../actors/lottery/server.ts';
import { setThreadSink } from '../../actors/lottery/tp0log.ts';
import { parseBetsCsv, type BetRow } from '../../protocols/lottery/index.ts';

export const ENTRY = new URL('../../actors/lottery/main.ts', import.meta.url).pathname;

export function tmp(prefix = 'lottery-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every captured line of the current process (server and agencies share one sink). */
export const captured: string[] = [];
setThreadSink((line) => {
  captured.push(line.replace(/\n$/, ''));
});

export interface InProcess {
  system: ActorSystem;
  server: ServerHandle;
  port: number;
  dataDir: string;
  settings: ServerSettings;
  stop(): Promise<void>;
}

export function serverSettings(over: Partial<ServerSettings> & { agencies: number }): ServerSettings {
  return {
    mode: 'lottery',
    host: '127.0.0.1',
    port: 0,
    listenBacklog: 64,
    loggingLevel: 'INFO',
    servers: 1,
    dataDir: tmp(),
    maxConnections: 256,
    winnersHoldMs: 30_000,
    idleTimeoutMs: 30_000,
    maxFrameBytes: 10_240,
    durability: 'full',
    source: 'server',
    ...over,
  };
}

export async function startInProcess(over: Partial<ServerSettings> & { agencies: number }, threads = 0): Promise<InProcess> {
  const settings = serverSettings(over);
  const system = await ActorSystem.start({ name: 'lottery-test', threads, preload: LOTTERY_MODULES, logLevel: process.env.LOG_LEVEL ?? 'error' });
  const server = await startServer(system, settings);
  return {
    system,
    server,
    port: server.port,
    dataDir: settings.dataDir,
    settings: { ...settings, port: server.port },
    async stop() {
      await server.drain(2000);
      await system.stop(5000);
    },
  };
}

export function clientSettings(id: number, port: number, file: string, over: Partial<ClientSettings> = {}): ClientSettings {
  return {
    id,
    serverAddress: `127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    loopAmount: 0,
    loopPeriod: '10ms',
    loopPeriodMs: 10,
    logLevel: 'INFO',
    maxAmount: 35,
    mode: 'batch',
    protocol: 'B',
    file,
    connectRetryMs: 5000,
    source: `client${id}`,
    ...over,
  };
}

let groupSeq = 0;
export async function runAgencies(system: ActorSystem, clients: ClientSettings[]): Promise<GroupOutcome> {
  const g = system.spawn(AgencyGroup, { name: `group-${++groupSeq}`, thread: 'main', props: { clients, placement: 'main', progress: 'none' } });
  return groupOutcome(g.path);
}

/** Lints every line (parser rules of §4) and applies the checks; `fail` lines are problems unless allowed. */
export function lint(lines: readonly string[], o: CheckOptions & { allowFail?: boolean } = {}): CheckReport {
  const text = lines.join('\n');
  const report = checkLog(text, o);
  const problems = o.allowFail ? report.problems.filter((p) => !p.includes('logged a fail')) : report.problems;
  assert.deepEqual(problems, [], `log contract problems:\n${problems.join('\n')}\n--- log ---\n${text.slice(-4000)}`);
  return report;
}

/** Lines of one source, without the prefix. */
export function linesOf(lines: readonly string[], source: string): string[] {
  return lines.filter((l) => l.startsWith(`${source} | `)).map((l) => l.slice(source.length + 3));
}

export function details(lines: readonly string[], action: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  lines.forEach((l, i) => {
    const r = parseLine(l, i + 1);
    if (r && typeof r === 'object' && 'action' in r && r.action === action) out.push({ ...r.details, result: r.result, source: r.source });
  });
  return out;
}

export function betsCsv(dir: string): BetRow[] {
  return parseBetsCsv(readFileSync(join(dir, 'bets.csv'), 'utf8'));
}

export function writeAgencyFile(dir: string, id: number, rows: string[], eol = '\r\n'): string {
  const f = join(dir, `agency-${id}.csv`);
  writeFileSync(f, rows.map((r) => r + eol).join(''));
  return f;
}

export interface Proc {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  exited: Promise<number>;
  /** Resolves with the first stdout line matching `re` (rejects after timeoutMs). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(sig?: NodeJS.Signals): void;
}

/** Runs `node actors/lottery/main.ts lottery …` with Node 24 (process.execPath). */
export function lottery(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Proc {
  const child = spawn(process.execPath, [ENTRY, 'lottery', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of [...waiters]) {
      if (w.re.test(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143))));
  return {
    child,
    lines,
    stderr,
    exited,
    waitFor(re, timeoutMs = 20_000) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${lines.join('\n')}\n${stderr.join('\n')}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
      });
    },
    kill(sig = 'SIGTERM') {
      child.kill(sig);
    },
  };
}

/** Waits for the IPC `ready` message of a `lottery server` child. */
/** The process reported `ready` over IPC (a server: listening; an agency: its signal handlers are in place). */
export function serverReady(p: Proc, timeoutMs = 20_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server not ready:\n${p.stderr.join('\n')}`)), timeoutMs);
    p.child.on('message', (m: { t?: string; port?: number }) => {
      if (m?.t === 'ready') {
        clearTimeout(t);
        resolve(m.port!);
      }
    });
    void p.exited.then((c) => reject(new Error(`server exited with ${c}:\n${p.stderr.join('\n')}`)));
  });
}

/** Prefixes a process's lines with its source, as the harness reads them. */
export function prefixed(source: string, lines: readonly string[]): string[] {
  return lines.map((l) => `${source} | ${l}`);
}
