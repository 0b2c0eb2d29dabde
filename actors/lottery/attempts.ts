// An agency's requests with reconnect-and-resend (lottery.md §8: a client retries an unreachable
// server with backoff for connectRetryMs, then logs `fail`): one exchange in flight at a time,
// retried after a failure with exponential backoff, and what SIGTERM needs to know about it (is
// there an exchange in flight, is it parked on the draw).

import type { ExchangeError, ExchangeHandle, ExchangeReply } from './exchange.ts';

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 500;

export interface AttemptsOptions {
  connectRetryMs: number;
  stopping(): boolean;
  /** The agency stops (SIGTERM seen between two tries). */
  halt(): void;
  /** Retries are over: the request failed for good. */
  failed(action: string, error: string): void;
  debug(msg: string, fields: Record<string, unknown>): void;
}

export class Attempts {
  /** The exchange in flight, if any. */
  inflight: ExchangeHandle | null = null;
  /** The exchange in flight waits for the draw (SIGTERM cuts it rather than waiting). */
  parked = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly o: AttemptsOptions;

  constructor(o: AttemptsOptions) {
    this.o = o;
  }

  /**
   * Runs `make()`'s exchange, retrying failures for up to connectRetryMs; `onReply` gets the reply.
   * `onError` may take a failure itself (returns true: no retry).
   */
  run(action: string, make: () => ExchangeHandle, onReply: (r: ExchangeReply) => void, isParked = false, onError?: (err: ExchangeError) => boolean): void {
    let firstFailure = 0;
    let delay = RETRY_MIN_MS;
    const once = (): void => {
      this.timer = null;
      if (this.o.stopping() && !isParked) return this.o.halt();
      const h = make();
      this.inflight = h;
      this.parked = isParked;
      h.promise.then(
        (r) => {
          this.inflight = null;
          this.parked = false;
          onReply(r);
        },
        (err: ExchangeError) => {
          this.inflight = null;
          this.parked = false;
          if (this.o.stopping()) return this.o.halt();
          if (onError?.(err)) return;
          const now = Date.now();
          if (firstFailure === 0) firstFailure = now;
          if (now - firstFailure >= this.o.connectRetryMs) return this.o.failed(action, err.code ?? err.message);
          this.o.debug('exchange failed; retrying', { action, error: err.message, inMs: delay });
          this.timer = setTimeout(once, delay);
          delay = Math.min(delay * 2, RETRY_MAX_MS);
        },
      );
    };
    once();
  }

  /** No retry scheduled from now on (SIGTERM, stop). */
  cancelRetry(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
