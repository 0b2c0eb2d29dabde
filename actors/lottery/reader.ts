// BetReader (lottery.md §2, §3 Ex6): streams `agency-N.csv` (CRLF or LF, UTF-8, no header, a
// trailing empty line ignored) and yields batches grouped exactly: `maxAmount` bets per batch
// except the last, closed early only when the next bet would push the packet past 8 kB.
// For protocol A the batches leave as finished BET packets built from the file's bytes
// (protocols/lottery/a-packer.ts: no string, Bet or array per row; the agency's hot path); for
// protocol B as bets, encoded by the agency.

import { open, type FileHandle } from 'node:fs/promises';
import { defineActor } from '../../runtime/actor/behavior.ts'; // not runtime/index.ts: agency start-up
import { APacker, Batcher, parseAgencyCsvRow, sizer, type Bet, type WireProtocol } from '../../protocols/lottery/index.ts';
import { ProtocolError } from '../../protocols/errors.ts';
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
  /** Protocol B: the bets, encoded by the agency. Empty for protocol A (see packet). */
  bets: Bet[];
  /** Protocol A: the whole BET packet, its batch id still 0 (setABatchId). */
  packet?: Buffer;
  /** Bets in the batch. */
  count: number;
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

/**
 * The non-empty lines of each file a reader of this process has read to its end, by path: what
 * `lottery run`'s final check expects to be stored (run.ts countRows, which would read the files
 * again, on the run's last stretch).
 */
export const linesReadToEnd = new Map<string, number>();

/** A file read in chunks into one buffer: what both line sources share (open, size, close). */
abstract class FileSource {
  protected fh: FileHandle | null = null;
  protected buf = Buffer.allocUnsafe(CHUNK);
  totalBytes = 0;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async open(): Promise<void> {
    this.fh = await open(this.path, 'r');
    this.totalBytes = (await this.fh.stat()).size;
  }

  get isOpen(): boolean {
    return this.fh !== null;
  }

  async close(): Promise<boolean> {
    const fh = this.fh;
    this.fh = null;
    if (!fh) return false;
    await fh.close();
    return true;
  }
}

/** Pull-based line splitter over a file (exported for the benchmark baseline and tests). */
export class LineSource extends FileSource {
  private decoder = new TextDecoder('utf-8', { fatal: true });
  private lines: string[] = [];
  private at = 0;
  private rest = '';
  private eof = false;
  lineNo = 0;
  bytesRead = 0;
  /** Characters of the lines handed out so far (progress; close to their bytes). */
  consumed = 0;


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

}

/**
 * Pull-based line splitter over a file's bytes (protocol A's packer reads these): the same lines
 * as LineSource (LF or CRLF, empty lines skipped, a leading BOM dropped), as views of the buffer.
 */
export class ByteLineSource extends FileSource {
  /** Bytes of buf read but not yet handed out, from `at` to `end`. */
  private at = 0;
  private end = 0;
  private eof = false;
  private first = true;
  lineNo = 0;
  /** Bytes of the lines handed out so far, line endings included (progress). */
  consumed = 0;


  /** Where the line found by nextRange() is in `bytes` (valid until the next fill). */
  lineFrom = 0;
  lineTo = 0;

  /** The buffer the lines are in (replaced when a fill grows it). */
  get bytes(): Buffer {
    return this.buf;
  }

  /**
   * The next buffered non-empty line, as bytes[lineFrom, lineTo): 1; 0: fill first; -1: end of
   * file. The line ending is found by a loop over the bytes (no call into C++, no view per line).
   */
  nextRange(): number {
    const b = this.buf;
    const end = this.end;
    for (;;) {
      const from = this.at;
      let stop = from;
      while (stop < end && b[stop] !== 0x0a) stop++;
      if (stop === end && !(this.eof && from < end)) return this.eof ? -1 : 0;
      this.at = stop < end ? stop + 1 : stop;
      this.consumed += this.at - from;
      this.lineNo++;
      const to = stop > from && b[stop - 1] === 0x0d ? stop - 1 : stop;
      if (to > from) {
        this.lineFrom = from;
        this.lineTo = to;
        return 1;
      }
    }
  }

  /** The next buffered non-empty line (a view, valid until the next fill); undefined: fill first; null: end of file. */
  nextBuffered(): Buffer | null | undefined {
    const r = this.nextRange();
    return r === 1 ? this.buf.subarray(this.lineFrom, this.lineTo) : r === 0 ? undefined : null;
  }

  async fill(): Promise<void> {
    if (!this.fh) throw new Error('file not open');
    // Keep the partial line at the front; a line longer than the buffer grows it.
    const rest = this.end - this.at;
    if (rest >= this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, this.at, this.end);
      this.buf = bigger;
    } else if (this.at > 0) this.buf.copy(this.buf, 0, this.at, this.end);
    this.at = 0;
    this.end = rest;
    const { bytesRead } = await this.fh.read(this.buf, rest, this.buf.length - rest, null);
    this.end += bytesRead;
    if (bytesRead === 0) this.eof = true;
    if (this.first && this.end >= 3) {
      this.first = false;
      if (this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) this.at = 3; // a BOM, as TextDecoder drops it
    } else if (this.eof) this.first = false;
  }

}

export const BetReader = defineActor<ReaderMsg, ReaderProps>(import.meta.url, 'BetReader', (props, ctx) => {
  const log = new Tp0Log({ level: props.loggingLevel, source: props.source });
  const packer = props.protocol === 'A' ? new APacker(props.agency, props.maxAmount) : null;
  const bytes = packer ? new ByteLineSource(props.file) : null;
  const lines = packer ? null : new LineSource(props.file);
  const src: ByteLineSource | LineSource = bytes ?? lines!;
  const batcher = packer ? null : new Batcher(sizer(props.protocol, props.agency), props.maxAmount);
  let done = false;
  let toSkip = 0;
  /** Non-empty lines seen so far (valid, invalid and skipped alike): linesReadToEnd at the end. */
  let seen = 0;
  /**
   * The file is opened and its first chunk read as soon as the reader starts (while the agency's
   * resume query is on the wire), not on the first batch's path; a failure is reported by the first
   * `next`, as when it opened the file itself.
   */
  let opening: Promise<void> | null = src.open().then(() => src.fill());
  opening.catch(() => {});
  const opened = async (): Promise<void> => {
    const o = opening;
    opening = null;
    if (o) await o;
    else if (!src.isOpen && !done) await src.open();
  };
  /** An open under way has ended (before a close; its failure was for `next` to report). */
  const notOpening = async (): Promise<void> => {
    const o = opening;
    opening = null;
    if (o) await o.catch(() => {});
  };

  /** A row the agency cannot send: one fail line, then the next row. */
  function invalidRow(err: unknown): void {
    log.info('leer_apuesta', 'fail', { linea: src.lineNo });
    ctx.log.warn('invalid row skipped', { file: props.file, line: src.lineNo, error: (err as Error).message });
  }

  function out(b: { bets: Bet[]; packet?: Buffer; count: number; firstBetId: number }, closedEarly: boolean, end: boolean): BatchOut {
    if (closedEarly) log.debug('batch_cerrado', 'success', { cantidad: b.count, motivo: '8kB' });
    return { ...b, closedEarly, bytesRead: end ? src.totalBytes : Math.min(src.consumed, src.totalBytes), totalBytes: src.totalBytes };
  }

  /** Protocol A: the next BET packet, built from the line bytes. */
  async function nextPacket(s: ByteLineSource, p: APacker): Promise<BatchOut | null> {
    while (!done) {
      const r = s.nextRange();
      if (r === 0) {
        await s.fill();
        continue;
      }
      if (r < 0) {
        done = true;
        linesReadToEnd.set(props.file, seen);
        break;
      }
      seen++;
      try {
        p.rowAt(s.bytes, s.lineFrom, s.lineTo);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err; // not UTF-8: the file is unreadable, as for LineSource
        invalidRow(err);
        continue;
      }
      if (toSkip > 0) {
        toSkip--;
        continue;
      }
      const b = p.push();
      if (b) return out({ bets: [], packet: b.packet, count: b.count, firstBetId: b.firstBetId }, b.closedEarly, false);
    }
    const last = p.flush();
    await s.close();
    return last ? out({ bets: [], packet: last.packet, count: last.count, firstBetId: last.firstBetId }, false, true) : null;
  }

  /** Protocol B: the next batch of bets. */
  async function nextBets(s: LineSource, g: Batcher): Promise<BatchOut | null> {
    while (!done) {
      const line = s.nextBuffered();
      if (line === undefined) {
        await s.fill();
        continue;
      }
      if (line === null) {
        done = true;
        linesReadToEnd.set(props.file, seen);
        break;
      }
      seen++;
      let bet: Bet;
      try {
        bet = parseAgencyCsvRow(props.agency, line);
      } catch (err) {
        invalidRow(err);
        continue;
      }
      if (toSkip > 0) {
        toSkip--;
        continue;
      }
      const b = g.add(bet);
      if (b) return out({ ...b, count: b.bets.length }, g.closedEarly, false);
    }
    const last = g.flush();
    await s.close();
    return last ? out({ ...last, count: last.bets.length }, false, true) : null;
  }

  async function next(): Promise<BatchOut | null> {
    await opened();
    return bytes ? nextPacket(bytes, packer!) : nextBets(lines!, batcher!);
  }

  return {
    async receive(msg) {
      if (msg.t === 'next') {
        ctx.reply(await next());
      } else if (msg.t === 'skip') {
        toSkip += msg.rows;
        ctx.reply(toSkip);
      } else {
        await notOpening();
        const wasOpen = await src.close();
        done = true;
        ctx.reply(wasOpen);
      }
    },
    stopped() {
      void notOpening().then(() => src.close());
    },
  };
});
