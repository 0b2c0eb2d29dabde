// `lottery run`'s standard output when it is not a terminal: written in blocks, as C's stdio
// writes to a pipe or a file, instead of one write per line. A run writes ~540 lines, about one per
// batch, and each write woke whatever reads the pipe (tee, a log collector, the benchmark) on the
// same two cores as the server and the agencies. A line waits at most `flushMs` (or until
// `blockBytes` have gathered); the launcher flushes before it reports its result, and at its exit.
// Order is kept: every stdout line of the run goes through one BlockOutput.

import { writeAllSync } from './tp0log.ts';

export class BlockOutput {
  private pending = '';
  private timer: NodeJS.Timeout | null = null;
  private readonly fd: number;
  private readonly blockBytes: number;
  private readonly flushMs: number;

  constructor(fd: number, blockBytes = 16 * 1024, flushMs = 10) {
    this.fd = fd;
    this.blockBytes = blockBytes;
    this.flushMs = flushMs;
  }

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= this.blockBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Writes `text` now, after what is pending (a line that must not wait: order is kept). */
  writeNow(text: string): void {
    this.pending += text;
    this.flush();
  }

  /** Writes what is pending now. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    writeAllSync(this.fd, text);
  }
}
