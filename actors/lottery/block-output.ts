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

  /** Writes what is pending, then `text`, now (a line that must not wait). */
  writeNow(text: string): void {
    this.flush();
    writeAllSync(this.fd, text);
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

/** The line every stored batch logs on the server (lottery.md §6.4): the only one held in blocks. */
const BATCH_LINE = '| action: apuesta_recibida | result: success';

/**
 * The server process of `lottery run` (stdout a pipe to the launcher): its ~500 batch lines go out
 * in blocks at most 10 ms late instead of one write each, which woke the launcher once per batch;
 * every other line (sorteo first of all: the agencies' consulta_ganadores must follow it) writes
 * what is held and itself at once, so the server's own order is kept. A batch line is only logged
 * after its batch is stored, so a late line never names a batch that is not.
 */
export function holdBatchLines(out: BlockOutput): (line: string) => void {
  return (line) => (line.includes(BATCH_LINE) ? out.write(line) : out.writeNow(line));
}
