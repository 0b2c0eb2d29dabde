// Reading a configuration document (a topology, the dispatcher's config.json, the lottery's
// upstream config.ini and config.yaml): read, parse by format, and fail with one ConfigError that
// names the file and every problem (line and column for YAML). Never writes anything.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, resolve } from 'node:path';
import { CliError } from '../cli/errors.ts';

/** At most this many problems are printed; the rest are counted. */
export const MAX_PRINTED_PROBLEMS = 10;

/**
 * The problems as printed: each on one line (a problem's own line breaks become ` / `), the same
 * problem once, the first MAX_PRINTED_PROBLEMS and then how many more there are.
 */
export function problemLines(file: string, problems: readonly string[]): string[] {
  const unique = [...new Set(problems.map((p) => p.replace(/\s*\r?\n\s*/g, ' / ').trim()).filter((p) => p !== ''))];
  const lines = unique.slice(0, MAX_PRINTED_PROBLEMS).map((p) => `${file}: ${p}`);
  const rest = unique.length - MAX_PRINTED_PROBLEMS;
  if (rest > 0) lines.push(`${file}: and ${rest} more problem${rest > 1 ? 's' : ''}`);
  return lines;
}

/** A bad configuration document: one line per problem, each prefixed by the file; exit code 2 by default. */
export class ConfigError extends CliError {
  readonly file: string;
  /** Every problem, deduplicated (the message prints at most MAX_PRINTED_PROBLEMS of them). */
  readonly problems: string[];
  constructor(file: string, problems: string[], exitCode = 2) {
    super(problemLines(file, problems).join('\n'), exitCode);
    this.name = 'ConfigError';
    this.file = file;
    this.problems = [...new Set(problems)];
  }
}

export type DocumentFormat = 'json' | 'yaml' | ((text: string) => unknown);

export interface ReadOptions {
  /** `json`, `yaml` or a parser of its own (INI); default: by extension (.json, else YAML). */
  format?: DocumentFormat;
  /** A missing file reads as undefined instead of failing. */
  optional?: boolean;
}

/**
 * The files read while `fn` runs (through readDocument or readConfigText), each with its text, or
 * null when it could not be read: what a result derived from them (a cached, validated topology,
 * runtime/kernel/topology-cache.ts) depends on besides the code.
 */
export function recordReads<T>(fn: () => T): { value: T; reads: [file: string, text: string | null][] } {
  const outer = recorder;
  const mine = new Map<string, string | null>();
  recorder = mine;
  try {
    return { value: fn(), reads: [...mine] };
  } finally {
    recorder = outer;
    if (outer) for (const [f, t] of mine) outer.set(f, t);
  }
}

let recorder: Map<string, string | null> | null = null;

/** readFileSync(file, 'utf8'), noted by recordReads (an unreadable file is noted as null, then the error is thrown). */
export function readConfigText(file: string): string {
  try {
    const text = readFileSync(file, 'utf8');
    recorder?.set(resolve(file), text);
    return text;
  } catch (err) {
    recorder?.set(resolve(file), null);
    throw err;
  }
}

/** Reads and parses `file` (as the user wrote it: messages name it that way). */
export function readDocument(file: string, o: ReadOptions & { optional: true }): unknown;
export function readDocument(file: string, o?: ReadOptions): unknown;
export function readDocument(file: string, o: ReadOptions = {}): unknown {
  let text: string;
  try {
    text = readConfigText(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (o.optional && code === 'ENOENT') return undefined;
    throw new ConfigError(file, [`cannot read the file (${code ?? String(err)})`]);
  }
  return parseDocument(file, text, o.format);
}

/** Parses the text of `file` (see readDocument). */
export function parseDocument(file: string, text: string, format: DocumentFormat = extname(file).toLowerCase() === '.json' ? 'json' : 'yaml'): unknown {
  if (typeof format === 'function') {
    try {
      return format(text);
    } catch (err) {
      throw new ConfigError(file, [(err as Error).message]);
    }
  }
  if (format === 'json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ConfigError(file, [`not valid JSON: ${(err as Error).message}`]);
    }
  }
  // yaml is loaded on first use: one-shot tools that read no YAML start without it.
  const YAML = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  // linePos is only filled in with prettyErrors, which also rewrites the message: count lines ourselves.
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0]);
        return `line ${at.line}, column ${at.col}: not valid YAML: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  return doc.toJS();
}
