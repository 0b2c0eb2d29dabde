// Helpers for the dispatcher integration tests: an in-process system with one or more
// dispatchers, loopback clients that read framed replies, and access to the counters.

import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorSystem, loggerFor } from '../../runtime/index.ts';
import { startDispatchers, type DispatcherSection } from '../../actors/dispatcher/index.ts';
import type { EntryInput } from '../../actors/dispatcher/config/index.ts';
import { encodeFrameBytes, requestDecoder, type DispatchFraming } from '../../protocols/dispatcher/index.ts';

export const T = '\t';

export const A1_REQ =
  '{"TERF":1000,"TERL":3000,"GUID":"SOMEGUID","PID":"somepid","AID":"400200","CABX":"400201","MSG":"Well, this is the first message going and coming."}';
export const A1_REPLY = `{${T}"AID" : "400200",${T}"CABX" : "400201",${T}"GUID" : "SOMEGUID",${T}"MSG" : "Well, this is the first message going and coming. OK - TX DONE!! ",${T}"PID" : "somepid",${T}"TERF" : 1000,${T}"TERL" : 3000}`;

export function tx(guid: string, msg = 'm', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ TERF: 1, TERL: 2, GUID: guid, PID: 'P', AID: 'A', CABX: 'C', MSG: msg, ...extra });
}

export function tmpDir(): string {
  return mkdtempSync(join(tmpdir(), 'dispatcher-test-'));
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A compat-profile entry (legacy framing, legacy-tx, built-in handler) with test-friendly values. */
export function compatEntry(port: number, dir: string, over: EntryInput = {}): EntryInput {
  return {
    Name: 'dispatch01',
    IP: '127.0.0.1',
    Port: port,
    NumThreads: 2,
    MaxConnections: 50,
    StopTimeout: 1,
    LogLevel: 2,
    Framing: 'legacy',
    MaxFrameBytes: 8192,
    Protocol: 'legacy-tx',
    Handler: { Kind: 'legacy-tx', ServiceDelayMs: 0 },
    Workers: { Min: 1, Max: 1 },
    LockFile: join(dir, `${over.Name ?? 'dispatch01'}.lock`),
    Allow: ['127.0.0.0/8'],
    ...over,
  };
}

export interface Harness {
  sys: ActorSystem;
  section: DispatcherSection;
  dir: string;
  fatal: { code: number; reason: string }[];
  stop(): Promise<void>;
  view(name?: string): Promise<DispatcherView>;
}

export interface DispatcherView {
  counters: Record<string, number>;
  gauges: { liveConnections: number; groupLoads: number[]; queueDepth: number; inFlight: number; workers: number };
  table: { slot: number; gen: number; group: number; status: string; peer: string; numOps: number; inFlight: number }[];
}

export async function startHarness(entries: EntryInput[], o: { threads?: number; dir?: string } = {}): Promise<Harness> {
  const dir = o.dir ?? tmpDir();
  const file = join(dir, 'topology.yaml');
  writeFileSync(file, '# test\n');
  const sys = await ActorSystem.start({ threads: o.threads ?? 1, logLevel: 'error' });
  const fatal: { code: number; reason: string }[] = [];
  let section: DispatcherSection;
  try {
    section = await startDispatchers(sys, { instances: entries }, { file, dir, log: loggerFor('test'), stop: (code, reason) => void fatal.push({ code, reason }) });
  } catch (err) {
    await sys.stop(2000);
    throw err;
  }
  return {
    sys,
    section,
    dir,
    fatal,
    async stop() {
      await section.beforeStop?.();
      await sys.stop(3000);
    },
    view: (name = entries[0].Name ?? 'dispatch01') => viewOf(sys, section.path, name),
  };
}

export async function viewOf(sys: ActorSystem, sectionPath: string, name: string): Promise<DispatcherView> {
  const snap = await sys.snapshot();
  const a = snap.actors.find((x) => x.path === `${sectionPath}/${name}/io/acceptor`);
  if (!a || !a.info) throw new Error(`no acceptor for ${name}`);
  return a.info as DispatcherView;
}

/** A loopback client that decodes framed replies. */
export class Client {
  readonly sock: net.Socket;
  readonly framing: DispatchFraming;
  readonly replies: string[] = [];
  raw = Buffer.alloc(0);
  ended = false;
  closed = false;
  error: Error | null = null;
  private dec;
  private waiters: (() => void)[] = [];

  private constructor(sock: net.Socket, framing: DispatchFraming) {
    this.sock = sock;
    this.framing = framing;
    this.dec = requestDecoder(framing, 1 << 24);
    sock.on('data', (b: Buffer) => {
      this.raw = Buffer.concat([this.raw, b]);
      for (const f of this.dec.push(b)) this.replies.push(f.toString('utf8'));
      this.wake();
    });
    sock.on('end', () => {
      this.ended = true;
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    sock.on('error', (err) => {
      this.error = err;
      this.wake();
    });
  }

  static connect(port: number, framing: DispatchFraming = 'legacy', localAddress?: string, localPort?: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port, localAddress, localPort });
      sock.once('connect', () => resolve(new Client(sock, framing)));
      sock.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(payload: string | Buffer): void {
    this.sock.write(encodeFrameBytes(this.framing, typeof payload === 'string' ? Buffer.from(payload) : payload));
  }

  sendRaw(b: Buffer | string): void {
    this.sock.write(b);
  }

  async until(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (replies: ${this.replies.length}, ended: ${this.ended})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async reply(n = 1, timeoutMs = 3000): Promise<string[]> {
    await this.until(() => this.replies.length >= n, timeoutMs, `${n} replies`);
    return this.replies.slice(0, n);
  }

  waitEnd(timeoutMs = 3000): Promise<void> {
    return this.until(() => this.ended || this.closed, timeoutMs, 'EOF');
  }

  close(): void {
    this.sock.destroy();
  }

  /** Leaves abruptly (RST): the server sees the client gone, not a half-close. */
  reset(): void {
    this.sock.resetAndDestroy();
  }
}

// ---- the CLI in a child process ---------------------------------------------------------------

export const CLI = fileURLToPath(new URL('../../bin/actor-runtime.ts', import.meta.url));

export interface Cli {
  child: ChildProcess;
  /** Parsed JSON log lines from stderr (other lines as {text}). */
  logs: Record<string, unknown>[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  waitLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number, what?: string): Promise<Record<string, unknown>>;
}

export function runCli(args: string[], o: { env?: Record<string, string>; cwd?: string } = {}): Cli {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let err = '';
  let partial = '';
  let waiters: (() => void)[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    err += s;
    partial += s;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ text: line });
      }
    }
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve({ code, signal, at: Date.now() });
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    }),
  );
  return {
    child,
    logs,
    stderr: () => err,
    exited,
    async waitLog(pred, timeoutMs = 10_000, what = 'log line') {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = logs.find(pred);
        if (hit) return hit;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`CLI exited (${child.exitCode ?? child.signalCode}) before ${what}:\n${err}`);
        const left = end - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}:\n${err}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
  };
}

export const isRunning = (l: Record<string, unknown>): boolean => l.msg === 'system running';

/** Waits until the CLI runs and has installed its signal handlers (it logs before installing them). */
export async function running(cli: Cli): Promise<void> {
  await cli.waitLog(isRunning);
  await new Promise((r) => setTimeout(r, 100));
}
