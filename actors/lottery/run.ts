// `lottery run`: one command for a whole run. Starts the server process and the N agencies (in this
// process, run-agencies.ts, or one process each with --agency-processes), prints the combined stream as the official harness
// reads it (`<source> | <line>` and
// `<source> exited with code <n>`), stops the server once every agency has exited, checks the
// stream against the log contract, and exits 0 when every agency exited 0 after the draw.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type cliProgress from 'cli-progress';
import { resolveDataset, OFFICIAL_WINNERS } from './dataset.ts';
import { LogCheck } from './logcheck.ts';
import { startInProcessAgencies, type InProcessAgencies } from './run-agencies.ts';
import { discardEarlyServer, freePort, planFor, runEnv, spawnServer, takeEarlyServer } from './run-early.ts';
import { writeAllSync } from './tp0log.ts';
import { BlockOutput } from './block-output.ts';

export const ENTRY = new URL('./main.ts', import.meta.url).pathname;

/**
 * `lottery run`'s agencies fill each 8 kB packet (maxAmount at protocol A's 9999, the batch
 * closed early at the packet cap, lottery.md §3 Ex6): ~175 official bets per round trip instead
 * of 35. A standalone `lottery agency` keeps the upstream default (35) for the official harness.
 */
export const RUN_BATCH_MAX = '9999';

export interface RunAllOptions {
  agencies: string;
  data?: string;
  servers?: string;
  /** The server's acceptors as separate processes (actors/lottery/cluster/). */
  processes?: boolean;
  batchMax?: string;
  protocol?: string;
  serverData?: string;
  port?: string;
  /** Agencies' log.level (DEBUG shows per-batch lines). */
  logLevel?: string;
  /** Skip the contract check at the end. */
  check?: boolean;
  /** `server-first` (default: agencies start once the server is up) or `random` (all processes in a random order). */
  startOrder?: string;
  /** One process per agency (as the official harness runs them); default: the agencies share one process. */
  agencyProcesses?: boolean;
}

/** Non-empty lines (CRLF or LF; a leading BOM is not a line's content, as for the readers), counted on the bytes: no decoding, no line strings. */
export function countRows(file: string): number {
  const b = readFileSync(file);
  let n = 0;
  let start = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  for (;;) {
    const nl = b.indexOf(0x0a, start);
    const end = nl < 0 ? b.length : nl;
    const len = end - start - (end > start && b[end - 1] === 0x0d ? 1 : 0);
    if (len > 0) n++;
    if (nl < 0) return n;
    start = nl + 1;
  }
}

function exitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

/** The checked options and the data files of a run (throws what is wrong, one line). */
function checked(o: RunAllOptions): { n: number; k: number; protocol: string; data: ReturnType<typeof resolveDataset>; files: string[] } {
  const n = Number(o.agencies);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--agencies must be a non-negative integer, got ${o.agencies}`);
  const k = Number(o.servers ?? 1);
  if (!Number.isInteger(k) || k < 1 || k > 64) throw new Error(`--servers must be 1..64, got ${o.servers}`);
  const protocol = (o.protocol ?? 'A').toUpperCase();
  if (!['A', 'B', 'MIXED'].includes(protocol)) throw new Error(`--protocol must be A, B or mixed, got ${o.protocol}`);
  const data = resolveDataset(o.data, Math.max(n, 1));
  const files: string[] = [];
  for (let i = 1; i <= n; i++) {
    const f = join(data.dir, `agency-${i}.csv`);
    if (!existsSync(f)) throw new Error(`${f} not found (the data set has fewer than ${n} agencies)`);
    files.push(f);
  }
  return { n, k, protocol, data, files };
}

export async function runAll(o: RunAllOptions): Promise<number> {
  let c: ReturnType<typeof checked>;
  try {
    c = checked(o);
  } catch (err) {
    await discardEarlyServer(); // started by bin/actor-runtime.ts (run-early.ts) for a run that does not happen
    throw err;
  }
  const { n, k, protocol, data, files } = c;
  // The server process bin/actor-runtime.ts started already (run-early.ts), when it was started for these options.
  const early = o.processes || o.agencyProcesses || o.startOrder === 'random' ? (await discardEarlyServer(), null) : await takeEarlyServer(planFor(o, n, k));
  // Port 0: the early server picks one and tells it when it listens (the agencies are set up after that).
  let port = early ? early.port : o.port ? Number(o.port) : await freePort();
  const serverData = early?.serverData ?? o.serverData ?? mkdtempSync(join(tmpdir(), 'lottery-run-'));
  const announce = (): boolean =>
    process.stderr.write(`lottery run: ${n} agencies, ${k} server ${o.processes ? 'process(es)' : 'thread(s)'}, protocol ${protocol}, data ${data.dir}, port ${port}, bets.csv in ${serverData}${early ? ' (the server started before the command line loaded)' : ''}\n`);
  if (port !== 0) announce();

  const interactive = process.stdout.isTTY === true && process.stderr.isTTY === true;
  const progressLib = interactive && n > 0 ? (await import('cli-progress')).default : null;
  const bars = progressLib ? new progressLib.MultiBar({ stream: process.stderr, format: ' {agency} [{bar}] {percentage}% | {bets} bets', hideCursor: true }, progressLib.Presets.shades_classic) : null;
  const bar = new Map<number, cliProgress.SingleBar>();
  // The combined stream, checked against the log contract at the end: each line is parsed as it
  // is written, so the end of the run only applies the rules (~1.5 ms less after the server's exit).
  const collected = new LogCheck();
  // Not a terminal: stdout in blocks (block-output.ts); a terminal gets each line at once.
  const out = process.stdout.isTTY === true ? null : new BlockOutput(1);
  const flushOut = (): void => out?.flush();
  process.on('exit', flushOut);
  const write = (text: string): void => (out ? out.write(text) : writeAllSync(1, text));
  const emit = (line: string): void => {
    collected.push(`${line}\n`);
    if (bars) bars.log(`${line}\n`);
    else write(`${line}\n`);
  };
  const baseEnv = runEnv(bars !== null);

  /** Whole lines that already carry their source: passed on as they come, unsplit. */
  const emitLines = (text: string): void => {
    collected.push(text);
    if (!bars) return write(text);
    // The bars redraw below what they log: one line per log call (a block of lines loses some).
    for (let at = 0; at < text.length; ) {
      const nl = text.indexOf('\n', at) + 1;
      bars.log(text.slice(at, nl));
      at = nl;
    }
  };
  const forwardLines = (input: NodeJS.ReadableStream): void => {
    let partial = '';
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      const text = partial + chunk;
      const cut = text.lastIndexOf('\n') + 1;
      partial = text.slice(cut);
      if (cut > 0) emitLines(text.slice(0, cut));
    });
    input.on('end', () => partial && emitLines(`${partial}\n`));
  };

  const children = new Set<ChildProcess>();
  /**
   * `prefixed`: the process's stdout lines already carry their source (the shared agency process);
   * `forward`: they do and need no reading either (the server, LOTTERY_LOG_SOURCE).
   */
  /** Reads a child's output (its lines passed on) and writes its exit line when it has closed. */
  const attach = (source: string, child: ChildProcess, prefixed?: ((line: string) => void) | 'forward', ended?: Promise<[number | null, NodeJS.Signals | null]>): { child: ChildProcess; closed: Promise<number> } => {
    children.add(child);
    if (prefixed === 'forward') forwardLines(child.stdout!);
    else createInterface({ input: child.stdout! }).on('line', (l) => (prefixed ? prefixed(l) : emit(`${source} | ${l}`)));
    createInterface({ input: child.stderr! }).on('line', (l) => process.stderr.write(`${source} | ${l}\n`));
    const closedAs = ended ?? new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, signal) => resolve([code, signal])));
    const closed = closedAs.then(([code, signal]) => {
      children.delete(child);
      const c = exitCode(code, signal);
      if (typeof prefixed !== 'function') emit(`${source} exited with code ${c}`);
      return c;
    });
    return { child, closed };
  };
  const start = (source: string, args: string[], env: NodeJS.ProcessEnv, prefixed?: (line: string) => void): { child: ChildProcess; closed: Promise<number> } =>
    attach(source, spawn(process.execPath, [ENTRY, 'lottery', ...args], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }), prefixed);

  const onSignal = (): void => {
    for (const c of children) c.kill('SIGTERM');
    inProcess?.terminate();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const random = o.startOrder === 'random';
  if (o.startOrder !== undefined && !random && o.startOrder !== 'server-first') throw new Error(`--start-order must be server-first or random, got ${o.startOrder}`);
  let server!: { child: ChildProcess; closed: Promise<number> };
  /** The one server process started from server-main.ts: the bundle is built after the run, for the next (server-bundle.ts). */
  let unbundled = false;
  /** The server's port once it listens; null if it ended first. */
  let serverReady!: Promise<number | null>;
  const startServerProcess = (): void => {
    if (o.processes) {
      const serverArgs = ['server', '--host', '127.0.0.1', '--port', String(port), '--agencies', String(n), '--servers', String(k), '--data', serverData, '--processes'];
      server = start('server', serverArgs, { ...baseEnv, AGENCIES: String(n) });
      serverReady = new Promise<number | null>((resolve) => {
        server.child.on('message', (m: { t?: string }) => m?.t === 'ready' && resolve(port));
        void server.closed.then(() => resolve(null));
      });
      return;
    }
    // One server process: started without a command line to parse (server-main.ts), and it
    // prefixes its own lines (`server | `), which are passed on unread. Started already by
    // bin/actor-runtime.ts (run-early.ts) for these options, or now.
    const p = early ?? spawnServer({ agencies: n, servers: k, port, serverData }, baseEnv);
    unbundled = k === 1 && !p.bundled;
    server = attach('server', p.child, 'forward', p.closed);
    serverReady = p.ready;
  };
  /**
   * Agencies started before the server is up wait at their gate (server-first): each is let
   * through once the server listens and the agency is ready (its handlers in place), whichever
   * comes last; if the server fails, each is stopped with SIGTERM once ready.
   */
  let serverState: 'starting' | 'up' | 'failed' = 'starting';
  const gated: ChildProcess[] = [];
  const readyAgencies = new Set<ChildProcess>();
  const release = (c: ChildProcess): void => {
    if (!readyAgencies.has(c) || serverState === 'starting') return;
    if (serverState === 'up') c.send({ t: 'go' }, undefined, {}, () => {});
    else c.kill('SIGTERM');
  };
  /** The flags of `lottery agency` for agency `idx` (0-based). */
  const agencyOptions = (idx: number, serverPort = port): { id: string; server: string; file: string; protocol: string; batchMax: string; logLevel?: string } => {
    const id = idx + 1;
    const p = protocol === 'MIXED' ? (id % 2 === 1 ? 'A' : 'B') : protocol;
    return { id: String(id), server: `127.0.0.1:${serverPort}`, file: files[idx], protocol: p, batchMax: o.batchMax ?? RUN_BATCH_MAX, ...(o.logLevel ? { logLevel: o.logLevel } : {}) };
  };
  const gateAndProgress = (child: ChildProcess, gate: boolean): void => {
    if (gate) {
      gated.push(child);
      child.on('message', (m: { t?: string }) => {
        if (m?.t !== 'ready') return;
        readyAgencies.add(child);
        release(child);
      });
    }
    child.on('message', (m: { t?: string; id?: number; pct?: number; bets?: number }) => {
      if (m?.t === 'progress') bar.get(m.id ?? 0)?.update(m.pct ?? 0, { bets: m.bets ?? 0 });
    });
  };
  const startAgency = (idx: number, gate = false): Promise<number> => {
    const a = agencyOptions(idx);
    const args = ['agency', '--id', a.id, '--server', a.server, '--file', a.file, '--protocol', a.protocol, '--batch-max', a.batchMax];
    if (a.logLevel) args.push('--log-level', a.logLevel);
    if (bars) bar.set(idx + 1, bars.create(100, 0, { agency: `client${a.id}`, bets: 0 }));
    const r = start(`client${a.id}`, args, { ...baseEnv, CLI_ID: a.id, ...(gate ? { LOTTERY_AGENCY_GATE: 'ipc' } : {}) });
    gateAndProgress(r.child, gate);
    return r.closed;
  };
  /**
   * Every agency in this process (the default, run-agencies.ts): no agency process to start. Each
   * agency still writes its own `clientN | ` lines and, when it finishes, its exit line.
   */
  let inProcess: InProcessAgencies | null = null;
  const startAgenciesHere = (): Promise<number>[] => {
    for (let id = 1; id <= files.length; id++) if (bars) bar.set(id, bars.create(100, 0, { agency: `client${id}`, bets: 0 }));
    // Their options for the server's port, known at the go.
    inProcess = startInProcessAgencies(files.length, (p) => files.map((_, idx) => agencyOptions(idx, p)), baseEnv, emit, bars ? (id, pct, bets) => bar.get(id)?.update(pct, { bets }) : null);
    return inProcess.runs;
  };
  let agencyRuns: Promise<number>[];
  if (random) {
    // Randomised start-up (lottery.md §11): agencies that come up before the server retry.
    const order = [-1, ...files.map((_, i) => i)].sort(() => Math.random() - 0.5);
    process.stderr.write(`lottery run: start order ${order.map((i) => (i < 0 ? 'server' : `client${i + 1}`)).join(', ')}\n`);
    const runs: Promise<number>[] = new Array(files.length);
    for (const i of order) {
      if (i < 0) startServerProcess();
      else runs[i] = startAgency(i);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
    }
    agencyRuns = runs;
  } else {
    startServerProcess();
    // The agencies load while the server starts (here, or in their own processes that wait at a
    // gate); they are let through, all at once, when the server listens: no agency connects
    // before the server is up, and neither waits for the other's start-up.
    agencyRuns = o.agencyProcesses || files.length === 0 ? files.map((_, idx) => startAgency(idx, true)) : startAgenciesHere();
    const ready = await serverReady;
    if (ready !== null && port === 0) {
      port = ready;
      announce();
    }
    if (ready === null) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      flushOut();
      process.stderr.write('lottery run: the server did not start\n');
      serverState = 'failed';
      for (const c of gated) release(c);
      (inProcess as InProcessAgencies | null)?.cancel();
      await Promise.all(agencyRuns);
      flushOut();
      process.off('exit', flushOut);
      return 1;
    }
    serverState = 'up';
    for (const c of gated) release(c);
    (inProcess as InProcessAgencies | null)?.go(port);
  }
  const codes = await Promise.all(agencyRuns);
  server.child.kill('SIGTERM');
  const killTimer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  // The final check's expected bets: the non-empty lines of every file, as this process's readers
  // counted them reading each to its end (agencies here); a file read elsewhere (agency processes)
  // is counted now, while the server stops (~15-45 ms for the official set: longer than the stop).
  const readHere = inProcess === null ? null : (await import('./reader.ts')).linesReadToEnd;
  let expectedBets = 0;
  for (const f of files) expectedBets += readHere?.get(f) ?? countRows(f);
  const serverCode = await server.closed;
  clearTimeout(killTimer);
  bars?.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  flushOut(); // every line out before the result on stderr
  process.off('exit', flushOut);
  let ok = codes.every((c) => c === 0) && serverCode === 0;
  if (o.check !== false) {
    const clients = files.map((_, i) => `client${i + 1}`);
    const expectedWinners: Record<string, number> = {};
    const w = data.official ? OFFICIAL_WINNERS : data.generated;
    if (w) for (let i = 1; i <= n; i++) if (w[i] !== undefined) expectedWinners[`client${i}`] = w[i];
    const report = collected.report({ clients, expectedBets, expectDraw: n > 0, expectedWinners });
    if (!report.ok) {
      ok = false;
      for (const p of report.problems) process.stderr.write(`lottery run: ${p}\n`);
    } else {
      process.stderr.write(`lottery run: log contract ok; ${report.cantidadTotal} bets stored, winners ${JSON.stringify(report.winnersBySource)}\n`);
    }
  }
  if (unbundled) await (await import('./server-bundle.ts')).buildServerBundle();
  return ok ? 0 : 1;
}
