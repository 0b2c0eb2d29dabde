// Entry of a `module` handler thread (dispatcher.md §4.3): loads the ES module, calls its export
// for each request, and answers in batches (one message per batch each way: a postMessage costs far
// more than a small request). One thread per Worker; the Worker terminates and replaces it when a
// request hangs past its deadline + 1 s.
//
// Requests arrive either as values (structured clone) or, for the `json` protocol, as their JSON
// texts joined by U+0000 (which valid JSON text cannot contain raw); then the replies go back as
// JSON texts joined the same way, serialised here, off the I/O thread.
//
// In:  { ids, deadlines, text: string | null, values: unknown[] | null }
// Out: { t: 'ready' } | { t: 'load-failed', error } | { t: 'done', acks, ids, oks, text | values }
// Every batch is acknowledged (`acks`) right after it ran, with the results ready by then.

import { workerData, type MessagePort } from 'node:worker_threads';
import { loggerFor } from '../../../runtime/log/log.ts';
import { serialiseJson } from '../../../protocols/dispatcher/json.ts';
import { SEP, type HandlerBatch } from './handler-thread-types.ts';

export interface HandlerThreadData {
  module: string;
  export: string;
  name: string;
  /** The channel to the Worker: batches in, results out. */
  port: MessagePort;
}

export interface HandlerContext {
  /** Epoch ms after which the client gets TIMEOUT (0 = none). */
  deadline: number;
  log: ReturnType<typeof loggerFor>;
}


type Handler = (request: unknown, ctx: HandlerContext) => unknown;

const data = workerData as HandlerThreadData;
const port = data.port;
const log = loggerFor(`${data.name}/handler`);
let handler: Handler | null = null;

// Results of the current flush, kept per mode.
let tIds: number[] = [];
let tOks: number[] = [];
let tOut: string[] = [];
let vIds: number[] = [];
let vOks: number[] = [];
let vOut: unknown[] = [];
let flushScheduled = false;
/** Batches received since the last message out: acknowledged with it (see ModuleRunner). */
let acks = 0;

const clean = (s: string): string => (s.includes(SEP) ? s.replaceAll(SEP, ' ') : s);
const message = (err: unknown): string => clean(err instanceof Error ? err.message : String(err));

function flush(): void {
  flushScheduled = false;
  const ack = acks;
  acks = 0;
  if (tIds.length > 0 || (ack > 0 && vIds.length === 0)) {
    port.postMessage({ t: 'done', acks: ack, ids: tIds, oks: tOks, text: tOut.join(SEP), values: null });
    tIds = [];
    tOks = [];
    tOut = [];
  } else if (ack > 0) acks = ack; // carried by the values message below
  if (vIds.length > 0) {
    const ids = vIds;
    const oks = vOks;
    const out = vOut;
    vIds = [];
    vOks = [];
    vOut = [];
    const ack2 = acks;
    acks = 0;
    try {
      port.postMessage({ t: 'done', acks: ack2, ids, oks, text: null, values: out });
    } catch {
      // A value that cannot be cloned: send them one by one, failing the culprits.
      port.postMessage({ t: 'done', acks: ack2, ids: [], oks: [], text: null, values: [] });
      for (let i = 0; i < ids.length; i++) {
        try {
          port.postMessage({ t: 'done', acks: 0, ids: [ids[i]], oks: [oks[i]], text: null, values: [out[i]] });
        } catch (err) {
          port.postMessage({ t: 'done', acks: 0, ids: [ids[i]], oks: [0], text: null, values: [`the handler returned a value that cannot be sent: ${message(err)}`] });
        }
      }
    }
  }
}

function schedule(): void {
  if (!flushScheduled) {
    flushScheduled = true;
    queueMicrotask(flush);
  }
}

function settleText(id: number, ok: boolean, value: unknown): void {
  let out: string;
  let good = ok;
  if (ok) {
    const s = serialiseJson(value);
    if (s === null) {
      good = false;
      out = 'the handler returned a value that is not JSON';
    } else out = s;
  } else out = message(value);
  tIds.push(id);
  tOks.push(good ? 1 : 0);
  tOut.push(out);
  schedule();
}

function settleValue(id: number, ok: boolean, value: unknown): void {
  vIds.push(id);
  vOks.push(ok ? 1 : 0);
  vOut.push(ok ? value : message(value));
  schedule();
}

function run(id: number, request: unknown, deadline: number, settle: (id: number, ok: boolean, v: unknown) => void): void {
  let r: unknown;
  try {
    r = handler!(request, { deadline, log });
  } catch (err) {
    settle(id, false, err);
    return;
  }
  if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
    (r as Promise<unknown>).then(
      (v) => settle(id, true, v),
      (err) => settle(id, false, err),
    );
  } else settle(id, true, r);
}

function runBatch(b: HandlerBatch): void {
  acks++;
  schedule();
  const { ids, deadlines } = b;
  if (b.text !== null) {
    const texts = b.text.split(SEP);
    for (let i = 0; i < ids.length; i++) {
      let req: unknown;
      try {
        req = JSON.parse(texts[i]);
      } catch (err) {
        settleText(ids[i], false, err);
        continue;
      }
      run(ids[i], req, deadlines[i], settleText);
    }
  } else {
    const values = b.values!;
    for (let i = 0; i < ids.length; i++) run(ids[i], values[i], deadlines[i], settleValue);
  }
}

const early: HandlerBatch[] = [];

port.on('message', (b: HandlerBatch) => {
  if (handler === null) early.push(b);
  else runBatch(b);
});

try {
  const mod = (await import(data.module)) as Record<string, unknown>;
  const fn = mod[data.export];
  if (typeof fn !== 'function') throw new Error(`${data.module} has no exported function ${JSON.stringify(data.export)}`);
  handler = fn as Handler;
  port.postMessage({ t: 'ready' });
  for (const b of early) runBatch(b);
  early.length = 0;
} catch (err) {
  port.postMessage({ t: 'load-failed', error: message(err) });
}
