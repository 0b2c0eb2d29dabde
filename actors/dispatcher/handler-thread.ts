// Entry of a `module` handler thread (dispatcher.md §4.3): loads the ES module, calls its export
// for each request, and answers in batches. One thread per Worker; the Worker terminates and
// replaces it when a request hangs past its deadline + 1 s.
//
// In:  { items: [id, request, deadline][] }      Out: { t: 'ready' } | { t: 'load-failed', error }
//                                                     | { t: 'done', results: [id, ok, value|message][] }

import { parentPort, workerData } from 'node:worker_threads';
import { loggerFor } from '../../runtime/log.ts';

export interface HandlerThreadData {
  module: string;
  export: string;
  name: string;
}

export interface HandlerContext {
  /** Epoch ms after which the client gets TIMEOUT (0 = none). */
  deadline: number;
  log: ReturnType<typeof loggerFor>;
}

type Handler = (request: unknown, ctx: HandlerContext) => unknown;

const data = workerData as HandlerThreadData;
const port = parentPort!;
const log = loggerFor(`${data.name}/handler`);
let handler: Handler | null = null;
let results: unknown[][] = [];
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  const batch = results;
  results = [];
  try {
    port.postMessage({ t: 'done', results: batch });
  } catch {
    // A value that cannot be cloned: send the others, fail that one.
    for (const r of batch) {
      try {
        port.postMessage({ t: 'done', results: [r] });
      } catch (err) {
        port.postMessage({ t: 'done', results: [[r[0], false, `the handler returned a value that cannot be sent: ${(err as Error).message}`]] });
      }
    }
  }
}

function settle(id: number, ok: boolean, value: unknown): void {
  results.push([id, ok, value]);
  if (!flushScheduled) {
    flushScheduled = true;
    queueMicrotask(flush);
  }
}

function run(id: number, request: unknown, deadline: number): void {
  let r: unknown;
  try {
    r = handler!(request, { deadline, log });
  } catch (err) {
    settle(id, false, err instanceof Error ? err.message : String(err));
    return;
  }
  if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
    (r as Promise<unknown>).then(
      (v) => settle(id, true, v),
      (err) => settle(id, false, err instanceof Error ? err.message : String(err)),
    );
  } else settle(id, true, r);
}

const early: [number, unknown, number][][] = [];

port.on('message', (m: { items: [number, unknown, number][] }) => {
  if (handler === null) {
    early.push(m.items);
    return;
  }
  for (const [id, request, deadline] of m.items) run(id, request, deadline);
});

try {
  const mod = (await import(data.module)) as Record<string, unknown>;
  const fn = mod[data.export];
  if (typeof fn !== 'function') throw new Error(`${data.module} has no exported function ${JSON.stringify(data.export)}`);
  handler = fn as Handler;
  port.postMessage({ t: 'ready' });
  for (const items of early) for (const [id, request, deadline] of items) run(id, request, deadline);
  early.length = 0;
} catch (err) {
  port.postMessage({ t: 'load-failed', error: err instanceof Error ? err.message : String(err) });
}
