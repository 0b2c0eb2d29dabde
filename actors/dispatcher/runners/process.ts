// `process` (dispatcher.md §4.4): an external program over NDJSON stdio, one request at a time; a
// hung or dead program is replaced.

// node:child_process loads when a child is spawned, not on every I/O thread that loads the runners.
import type { ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { StreamConnection } from '../../../runtime/io/stream.ts';
import { LinesDecoder } from '../../../protocols/framing/lines.ts';
import { oneLine } from '../../../protocols/dispatcher/index.ts';
import type { HandlerConfig } from '../config/index.ts';
import type { Envelope, Outcome } from '../messages.ts';
import { failed, type Runner, type RunnerHost } from './types.ts';

type ProcessHandler = Extract<HandlerConfig, { Kind: 'process' }>;

/** stdin closed, SIGTERM, then SIGKILL 1 s later (§6.2 step 6). */
function terminate(child: ChildProcess): void {
  child.stdin?.end();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 1000).unref();
}

export class ProcessRunner implements Runner {
  readonly capacity = 1;
  private readonly h: ProcessHandler;
  private readonly maxLine: number;
  private readonly host: RunnerHost;
  private child: ChildProcess | null = null;
  private spawned = false;
  private isReady = false;
  private stopped = false;
  private q: Envelope[] = [];
  private current: { e: Envelope; id: number } | null = null;
  private nextId = 1;

  private readonly textRequests: boolean;

  constructor(h: ProcessHandler, maxLine: number, textRequests: boolean, host: RunnerHost) {
    this.h = h;
    this.maxLine = maxLine;
    this.textRequests = textRequests;
    this.host = host;
  }

  get busy(): number {
    return this.q.length + (this.current ? 1 : 0);
  }

  start(): void {
    this.spawnChild();
  }

  private spawnChild(): void {
    const h = this.h;
    let child: ChildProcess;
    try {
      const { spawn } = process.getBuiltinModule('node:child_process') as typeof import('node:child_process');
      child = spawn(h.Command, h.Args, {
        cwd: h.Cwd,
        env: { ...process.env, ...h.Env },
        stdio: ['pipe', 'pipe', 'pipe'],
        argv0: h.Argv0,
      });
    } catch (err) {
      this.host.startFailed(`cannot start ${h.Command}: ${(err as Error).message}`);
      return;
    }
    this.child = child;
    this.spawned = false;
    child.stdin!.on('error', () => {});
    child.on('spawn', () => {
      if (this.child !== child) return;
      this.spawned = true;
      if (!this.isReady) {
        this.isReady = true;
        this.host.ready();
      }
      this.next();
    });
    child.on('error', (err) => {
      if (this.child !== child) return;
      if (!this.spawned) {
        this.child = null;
        const reason = `cannot start ${h.Command}: ${err.message}`;
        this.failCurrent(reason);
        if (!this.isReady) this.host.startFailed(reason);
        else this.host.died(reason);
      } else this.host.log.warn('worker process error', { command: h.Command, error: err.message });
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      const busy = this.current !== null;
      const reason = `worker process exited (${signal ?? `code ${code}`})${busy ? ' while busy' : ''}`;
      this.failCurrent(reason);
      if (!this.stopped) this.host.died(reason);
    });
    // The child's output is read through runtime/io like any stream: replies one line each, stderr
    // lines logged. A line handler may replace the child (a protocol failure): later lines of the
    // same read then belong to a process we no longer talk to.
    new StreamConnection(Duplex.from({ readable: child.stdout! }), {
      decoder: new LinesDecoder({ maxFrameSize: this.maxLine }),
      handlers: {
        frames: (lines) => {
          for (const line of lines) {
            if (this.child !== child) return;
            this.onLine(child, line);
          }
        },
        framingError: () => {
          if (this.child === child) this.protocolFailure(child, `a reply line over ${this.maxLine} bytes`);
        },
        // A bug in reply handling ends this process like a protocol failure (the worker restarts).
        fault: (err) => {
          if (this.child === child) this.protocolFailure(child, `reply handling failed: ${(err as Error).message}`);
        },
      },
    });
    new StreamConnection(Duplex.from({ readable: child.stderr! }), {
      decoder: new LinesDecoder({ maxFrameSize: 65536 }),
      handlers: {
        frames: (lines) => {
          for (const line of lines) this.host.log.info('worker stderr', { command: h.Command, pid: child.pid, line: line.toString('utf8') });
        },
      },
    });
  }

  private onLine(child: ChildProcess, line: Buffer): void {
    let msg: { id?: unknown; reply?: unknown; error?: unknown };
    try {
      msg = JSON.parse(line.toString('utf8'));
    } catch {
      this.protocolFailure(child, 'unparseable output from the worker process');
      return;
    }
    const cur = this.current;
    if (msg === null || typeof msg !== 'object' || cur === null || msg.id !== cur.id) {
      this.protocolFailure(child, `reply id mismatch (expected ${cur?.id ?? 'none'}, found ${JSON.stringify((msg as { id?: unknown } | null)?.id)})`);
      return;
    }
    this.current = null;
    if ('reply' in msg) this.host.done(cur.e, { ok: true, value: msg.reply });
    else if (typeof msg.error === 'string') this.host.done(cur.e, failed(`the worker process answered an error: ${msg.error}`));
    else {
      this.current = cur;
      this.protocolFailure(child, 'a reply line with neither "reply" nor "error"');
      return;
    }
    this.next();
  }

  private protocolFailure(child: ChildProcess, reason: string): void {
    this.child = null;
    terminate(child);
    this.failCurrent(reason);
    if (!this.stopped) this.host.died(reason);
  }

  private failCurrent(reason: string): void {
    const cur = this.current;
    this.current = null;
    if (cur) this.host.done(cur.e, failed(reason));
  }

  run(e: Envelope): void {
    this.q.push(e);
    this.next();
  }

  private next(): void {
    const child = this.child;
    if (this.current !== null || this.q.length === 0 || child === null || !this.spawned || this.stopped) return;
    const e = this.q.shift()!;
    const id = this.nextId++;
    this.current = { e, id };
    // A `json` request is already valid JSON text: embedded as is, on one line.
    const request = this.textRequests ? oneLine(e.req as string) : JSON.stringify(e.req);
    child.stdin!.write(`{"id":${id},"request":${request}}\n`);
  }

  check(now: number): void {
    const cur = this.current;
    const child = this.child;
    if (cur === null || child === null || cur.e.deadline === 0 || now <= cur.e.deadline) return;
    const reason = 'the worker process did not answer by the deadline; replaced';
    this.host.log.warn(reason, { command: this.h.Command, pid: child.pid, slot: cur.e.slot, seq: cur.e.seq });
    this.child = null;
    terminate(child);
    this.failCurrent(reason);
    this.host.replaced(reason);
    this.spawnChild();
  }

  failAll(reason: string): void {
    this.failCurrent(reason);
    const q = this.q;
    this.q = [];
    for (const e of q) this.host.done(e, failed(reason));
  }

  stop(): void {
    this.stopped = true;
    const child = this.child;
    this.child = null;
    if (child) terminate(child);
  }
}
