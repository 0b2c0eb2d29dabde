// A sample `module` handler (dispatcher.md §4.3) for the `json` protocol: loaded on each of the
// dispatcher's handler threads; called once per request with the parsed request and a context
// (deadline, logger); returns (or resolves to) any JSON value, sent back as compact JSON.
// A throw answers WORKER_FAILED for that request only.

import { threadId } from 'node:worker_threads';

interface Ctx {
  /** Epoch ms after which the client has been answered TIMEOUT (0: no deadline). */
  deadline: number;
  log: { info(msg: string, fields?: Record<string, unknown>): void };
}

export async function handle(request: unknown, ctx: Ctx): Promise<unknown> {
  if (request !== null && typeof request === 'object' && 'fail' in request) throw new Error('asked to fail');
  return { echo: request, thread: threadId, msLeft: ctx.deadline ? ctx.deadline - Date.now() : null };
}
