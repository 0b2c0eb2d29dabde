// The TP0 log contract (lottery.md §4) on stdout:
//   YYYY-MM-DD HH:MM:SS <LEVEL padded to 8> action: <a> | result: <r> | <k>: <v> | ...
// Lines are written with one synchronous write each (from any thread), so a line is on stdout
// before the reply that follows it is sent, and lines never interleave mid-line. Everything else
// the lottery logs is structured (pino, stderr).

import { writeSync } from 'node:fs';

export type Tp0Level = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
export type Tp0Result = 'success' | 'fail' | 'in_progress';
export type Details = Record<string, string | number | boolean>;

const RANK: Record<string, number> = { NOTSET: 0, TRACE: 5, DEBUG: 10, INFO: 20, WARN: 30, WARNING: 30, ERROR: 40, FATAL: 50, CRITICAL: 50, PANIC: 50 };

/** Normalises a configured level name (`info`, `INFO`, `Debug`...) to its rank; unknown -> INFO. */
export function levelRank(level: string | undefined): number {
  return RANK[(level ?? 'INFO').trim().toUpperCase()] ?? 20;
}

/** The level names a configuration may use (any case). */
export const LEVEL_NAMES: readonly string[] = Object.keys(RANK);

export function isKnownLevel(level: string): boolean {
  return RANK[level.trim().toUpperCase()] !== undefined;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function format(d: Date): string {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The current second as text, made once per second (a run logs ~1,000 lines a second). */
let stampSecond = -1;
let stampText = '';

export function timestamp(d?: Date): string {
  if (d !== undefined) return format(d);
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== stampSecond) {
    stampSecond = second;
    stampText = format(new Date(now));
  }
  return stampText;
}

/** A detail value made safe for the parser: no `|`, no `:`, no line breaks. */
export function cleanValue(v: string | number | boolean): string {
  const s = String(v);
  return /[|:\r\n]/.test(s) ? s.replace(/[|:\r\n]/g, '_') : s;
}

/** Writes all of `text` to a file descriptor, retrying on EAGAIN (non-blocking pipes). */
export function writeAllSync(fd: number, text: string): void {
  // The string as is first (no Buffer made for it): one whole write is the common case.
  let written = 0;
  try {
    written = writeSync(fd, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return; // nobody reads stdout any more: nothing to do
    if (code !== 'EAGAIN') throw err;
  }
  if (written < Buffer.byteLength(text)) writeRestSync(fd, Buffer.from(text, 'utf8').subarray(written));
}

/** The rest of a partial write, retrying on EAGAIN. */
function writeRestSync(fd: number, buf: Buffer): void {
  let spins = 0;
  while (buf.length > 0) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && spins++ < 100_000) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE') return; // nobody reads stdout any more: nothing to do
      throw err;
    }
  }
}

let threadSink: ((line: string) => void) | null = null;

/** Routes this thread's TP0 lines elsewhere (the progress bars print them above the bars). */
export function setThreadSink(fn: ((line: string) => void) | null): void {
  threadSink = fn;
}

/** Writes one whole line where this thread's TP0 lines go (the sink, else stdout). */
export function writeLine(text: string): void {
  if (threadSink) threadSink(text);
  else writeAllSync(1, text);
}

export interface Tp0LogOptions {
  /** Minimum level written (default INFO). */
  level?: string;
  /** `<source> | ` prefix, for several components sharing one stdout (in-process topologies). */
  source?: string;
  /** Sink (default: stdout, synchronously). */
  write?: (line: string) => void;
}

export class Tp0Log {
  readonly rank: number;
  readonly source: string | undefined;
  private readonly sink: (line: string) => void;

  constructor(o: Tp0LogOptions = {}) {
    this.rank = levelRank(o.level);
    this.source = o.source;
    this.sink = o.write ?? ((line) => (threadSink ? threadSink(line) : writeAllSync(1, line)));
  }

  enabled(level: Tp0Level): boolean {
    // A Tp0Level is already a canonical name: no trim/toUpperCase per line (two new strings each,
    // for every batch's line on both sides and every filtered DEBUG one).
    return RANK[level] >= this.rank;
  }

  /** `rawDetails` are written verbatim (the upstream config line carries `server:12345`). */
  line(level: Tp0Level, action: string, result: Tp0Result, details?: Details, rawDetails?: Record<string, string>): void {
    if (!this.enabled(level)) return;
    let s = `${timestamp()} ${level.padEnd(8)} action: ${action} | result: ${result}`;
    if (details) for (const k in details) s += ` | ${k}: ${cleanValue(details[k])}`;
    if (rawDetails) for (const k in rawDetails) s += ` | ${k}: ${rawDetails[k]}`;
    this.sink(this.source ? `${this.source} | ${s}\n` : `${s}\n`);
  }

  info(action: string, result: Tp0Result, details?: Details): void {
    this.line('INFO', action, result, details);
  }

  debug(action: string, result: Tp0Result, details?: Details): void {
    this.line('DEBUG', action, result, details);
  }

  error(action: string, result: Tp0Result, details?: Details): void {
    this.line('ERROR', action, result, details);
  }
}
