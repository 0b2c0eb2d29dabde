// `legacy-tx` (dispatcher.md §4.2.4): the built-in service, one request at a time, a reply after
// ServiceDelayMs.

import { builtinLegacyService } from '../../../protocols/dispatcher/index.ts';
import { failed, type Runner, type RunnerHost } from './types.ts';
import type { Envelope } from '../messages.ts';

export class LegacyRunner implements Runner {
  readonly capacity = 1;
  private q: Envelope[] = [];
  private current: Envelope | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly delay: number;
  private readonly host: RunnerHost;

  constructor(delay: number, host: RunnerHost) {
    this.delay = delay;
    this.host = host;
  }

  get busy(): number {
    return this.q.length + (this.current ? 1 : 0);
  }

  start(): void {
    queueMicrotask(() => this.host.ready());
  }

  run(e: Envelope): void {
    this.q.push(e);
    this.next();
  }

  private next(): void {
    if (this.current !== null || this.q.length === 0 || this.stopped) return;
    this.current = this.q.shift()!;
    if (this.delay > 0) this.timer = setTimeout(this.finish, this.delay);
    else queueMicrotask(this.finish);
  }

  private readonly finish = (): void => {
    const e = this.current;
    if (e === null || this.stopped) return;
    this.current = null;
    this.timer = null;
    this.host.done(e, { ok: true, value: builtinLegacyService(e.req) });
    this.next();
  };

  check(): void {}

  failAll(reason: string): void {
    const list = this.current ? [this.current, ...this.q] : [...this.q];
    this.current = null;
    this.q = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const e of list) this.host.done(e, failed(reason));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
