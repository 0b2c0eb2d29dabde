// BetReader (lottery.md §2, §3 Ex6): streams `agency-N.csv` (CRLF or LF, UTF-8, no header, a
// trailing empty line ignored) and yields batches grouped exactly: `maxAmount` bets per batch
// except the last, closed early only when the next bet would push the packet past 8 kB.

import { open, type FileHandle } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import { defineActor } from '../../runtime/actor/behavior.ts'; // not runtime/index.ts: agency start-up
import { Batcher, parseAgencyCsvRow, sizer, type Bet, type WireProtocol } from '../../protocols/lottery/index.ts';
import { Tp0Log } from './tp0log.ts';

export interface ReaderProps {
  file: string;
  agency: number;
  protocol: WireProtocol;
  maxAmount: number;
  loggingLevel: string;
  source?: string;
}

export interface BatchOut {
  bets: Bet[];
  firstBetId: number;
  closedEarly: boolean;
  /** How much of the file the batches so far cover, and its size (progress). */
  bytesRead: number;
  totalBytes: number;
}

export type ReaderMsg =
  /** ask -> BatchOut | null (end of file) */
  | { t: 'next' }
  /** ask -> number: pass over the first `rows` valid bets (already stored: the agency resumes after them). */
  | { t: 'skip'; rows: number }
  /** ask -> void: close the file now. */
  | { t: 'close' };

const CHUNK = 64 * 1024;

/** Pull-based line splitter over a file (exported for the benchmark baseline and tests). */
export class LineSource {
  private fh: FileHandle | null = null;
  private buf = Buffer.allocUnsafe(CHUNK);
  private decoder = new TextDecoder('utf-8', { fatal: true });
  private lines: string[] = [];
  private at = 0;
  private rest = '';
  private eof = false;
  lineNo = 0;
  bytesRead = 0;
  /** Characters of the lines handed out so far (progress; close to their bytes). */
  consumed = 0;
  totalBytes = 0;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async open(): Promise<void> {
    this.fh = await open(this.path, 'r');
    this.totalBytes = (await stat(this.path)).size;
  }

  get isOpen(): boolean {
    return this.fh !== null;
  }

  /** The next non-empty line without its line ending, or null at end of file. */
  async next(): Promise<string | null> {
    for (;;) {
      const l = this.nextBuffered();
      if (l !== undefined) return l;
      await this.fill();
    }
  }

  /** The next buffered non-empty line; undefined when more bytes must be read first (fill); null at end of file. */
  nextBuffered(): string | null | undefined {
    while (this.at < this.lines.length) {
      let l = this.lines[this.at++];
      this.lineNo++;
      this.consumed += l.length + 1;
      if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) l = l.slice(0, -1);
      if (l.length > 0) return l;
    }
    return this.eof ? null : undefined;
  }

  async fill(): Promise<void> {
    if (!this.fh) throw new Error('file not open');
    const { bytesRead } = await this.fh.read(this.buf, 0, CHUNK, null);
    this.bytesRead += bytesRead;
    let text: string;
    if (bytesRead === 0) {
      this.eof = true;
      text = this.rest + this.decoder.decode();
      this.rest = '';
      this.lines = text.length > 0 ? [text] : [];
    } else {
      text = this.rest + this.decoder.decode(this.buf.subarray(0, bytesRead), { stream: true });
      const parts = text.split('\n');
      this.rest = parts.pop()!;
      this.lines = parts;
    }
    this.at = 0;
  }

  async close(): Promise<boolean> {
    const fh = this.fh;
    this.fh = null;
    if (!fh) return false;
    await fh.close();
    return true;
  }
}

export const BetReader = defineActor<ReaderMsg, ReaderProps>(import.meta.url, 'BetReader', (props, ctx) => {
  const log = new Tp0Log({ level: props.loggingLevel, source: props.source });
  const src = new LineSource(props.file);
  const batcher = new Batcher(sizer(props.protocol, props.agency), props.maxAmount);
  let done = false;
  let toSkip = 0;

  async function next(): Promise<BatchOut | null> {
    if (!src.isOpen && !done) await src.open();
    while (!done) {
      const line = src.nextBuffered();
      if (line === undefined) {
        await src.fill();
        continue;
      }
      if (line === null) {
        done = true;
        break;
      }
      let bet: Bet;
      try {
        bet = parseAgencyCsvRow(props.agency, line);
      } catch (err) {
        log.info('leer_apuesta', 'fail', { linea: src.lineNo });
        ctx.log.warn('invalid row skipped', { file: props.file, line: src.lineNo, error: (err as Error).message });
        continue;
      }
      if (toSkip > 0) {
        toSkip--;
        continue;
      }
      const b = batcher.add(bet);
      if (b) {
        if (batcher.closedEarly) log.debug('batch_cerrado', 'success', { cantidad: b.bets.length, motivo: '8kB' });
        return { ...b, closedEarly: batcher.closedEarly, bytesRead: Math.min(src.consumed, src.totalBytes), totalBytes: src.totalBytes };
      }
    }
    const last = batcher.flush();
    await src.close();
    return last ? { ...last, closedEarly: false, bytesRead: src.totalBytes, totalBytes: src.totalBytes } : null;
  }

  return {
    async receive(msg) {
      if (msg.t === 'next') {
        ctx.reply(await next());
      } else if (msg.t === 'skip') {
        toSkip += msg.rows;
        ctx.reply(toSkip);
      } else {
        const wasOpen = await src.close();
        done = true;
        ctx.reply(wasOpen);
      }
    },
    stopped() {
      void src.close();
    },
  };
});
