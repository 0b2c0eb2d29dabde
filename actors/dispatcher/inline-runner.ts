// The `inline` placement of a `module` handler (`Handler: {Kind: module, Placement: inline}`): the
// handler runs on the dispatcher's I/O thread, inside the connection that read the request, as
// Netty and nginx run handlers on their event loop. No queue, no worker, no thread hop: a
// synchronous handler's reply is written in the same turn as its request was read.
//
// Only for handlers that cannot block: the module must declare itself with
// `export const nonBlocking = true`, or the dispatcher does not start (exit code 2). A handler
// that blocks here stalls every connection of its dispatcher, so there is no deadline kill
// either: a promise still pending at its deadline is answered TIMEOUT by the connection.

import { loggerFor } from '../../runtime/log/log.ts';
import type { DispatchProtocol } from '../../protocols/dispatcher/index.ts';
import type { DispatcherConfig } from './config/index.ts';
import type { Counters } from './shared.ts';

type HandlerFn = (request: unknown, ctx: { deadline: number; log: ReturnType<typeof loggerFor> }) => unknown;

export interface InlineHandler {
  /**
   * Runs the handler on one request: the reply text now, or a promise of it. Never throws.
   * `decoded`: the request's value as the protocol already parsed it (json), so it is not parsed twice.
   */
  call(request: unknown, deadline: number, decoded?: { parsed?: unknown }): string | Promise<string>;
}

/** An error that names the exit code (2: the configuration asks for what the module does not declare). */
export class InlineLoadError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function isInline(cfg: DispatcherConfig): boolean {
  return cfg.Handler.Kind === 'module' && cfg.Handler.Placement === 'inline';
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Imports the handler module on this (the I/O) thread and checks its non-blocking declaration. */
export async function loadInlineHandler(cfg: DispatcherConfig, proto: DispatchProtocol, counters: Counters): Promise<InlineHandler> {
  const h = cfg.Handler;
  if (h.Kind !== 'module') throw new InlineLoadError(`${cfg.Name}: only module handlers can be placed inline`, 2);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(h.Module)) as Record<string, unknown>;
  } catch (err) {
    throw new InlineLoadError(`${cfg.Name}: cannot load ${h.Module}: ${describe(err)}`, 1);
  }
  const fn = mod[h.Export];
  if (typeof fn !== 'function') throw new InlineLoadError(`${cfg.Name}: ${h.Module} has no exported function ${JSON.stringify(h.Export)}`, 1);
  if (mod.nonBlocking !== true) {
    throw new InlineLoadError(`${cfg.Name}: Placement "inline" needs a handler that declares itself non-blocking (export const nonBlocking = true in ${h.Module})`, 2);
  }
  const handler = fn as HandlerFn;
  const log = loggerFor(`${cfg.Name}/handler`);
  const text = (request: unknown, ok: boolean, v: unknown): string => {
    if (ok) {
      const r = proto.success(request, v);
      if (r !== null) return r;
      counters.workerFailures++;
      return proto.failure(request, 'WORKER_FAILED', 'the handler returned a value that is not a reply');
    }
    counters.workerFailures++;
    return proto.failure(request, 'WORKER_FAILED', describe(v));
  };
  return {
    call(request, deadline, decoded) {
      let r: unknown;
      try {
        // Text-request protocols (json) hand the handler the parsed value, as a handler thread does.
        const value = !proto.textRequests ? request : decoded !== undefined && 'parsed' in decoded ? decoded.parsed : JSON.parse(request as string);
        r = handler(value, { deadline, log });
      } catch (err) {
        return text(request, false, err);
      }
      if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
        return (r as Promise<unknown>).then(
          (v) => text(request, true, v),
          (err) => text(request, false, err),
        );
      }
      return text(request, true, r);
    },
  };
}
