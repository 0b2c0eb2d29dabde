// The local broker's side of its client socket: the bytes from one client split into JSON lines
// and binary publish runs (publish-run.ts), in order. Kept apart from the run codec so that a
// client, which only encodes runs, loads no line framer.

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.ts';
import { LinesDecoder } from '../framing/lines.ts';
import { decodePublishRun, PUBLISH_RUN_HEADER as HEADER, PUBLISH_RUN_KIND, PUBLISH_RUN_MARK, type PublishRun } from './publish-run.ts';

/** What the socket from a client carries: a JSON line (without its newline) or a publish run. */
export type ClientItem = { kind: 'line'; line: Buffer } | { kind: 'publish'; run: PublishRun };

/**
 * Splits the bytes from a client into JSON lines (through a LinesDecoder, so lines keep its rules)
 * and publish runs, across chunk boundaries. A run starts only where a line could start. A
 * malformed run, a run over `maxBytes` or a line over it is an error: `push` returns what came
 * before it, then `error` is set and nothing more is taken (as LinesDecoder does).
 */
export class ClientSocketSplitter {
  readonly #max: number;
  readonly #lines: LinesDecoder;
  /** The start of a run whose bytes have not all arrived. */
  #rest: Buffer | null = null;
  #error: ProtocolError | null = null;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
    this.#lines = new LinesDecoder({ maxFrameSize: maxBytes });
  }

  /** Everything complete in what arrived so far, in order. */
  push(chunk: Buffer): ClientItem[] {
    const out: ClientItem[] = [];
    if (this.#error !== null) return out;
    try {
      this.#split(chunk, out);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.#error = e;
      this.#rest = null;
    }
    return out;
  }

  get error(): ProtocolError | null {
    return this.#error ?? this.#lines.error;
  }

  #split(chunk: Buffer, out: ClientItem[]): void {
    const buf = this.#rest === null ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = null;
    const len = buf.length;
    let pos = 0;
    while (pos < len) {
      if (buf[pos] === PUBLISH_RUN_MARK && this.#lines.buffered === 0 && (pos + 1 === len || buf[pos + 1] === PUBLISH_RUN_KIND)) {
        if (pos + HEADER > len) break;
        const size = buf.readUInt32BE(pos + 2);
        if (size > this.#max) throw new ProtocolError('frame-too-large', `publish run of ${size} bytes exceeds ${this.#max}`, pos);
        if (pos + HEADER + size > len) break;
        out.push({ kind: 'publish', run: decodePublishRun(buf, pos + HEADER, size) });
        pos += HEADER + size;
        continue;
      }
      const nl = buf.indexOf(0x0a, pos);
      const to = nl < 0 ? len : nl + 1;
      for (const line of this.#lines.push(buf.subarray(pos, to))) out.push({ kind: 'line', line });
      if (this.#lines.error) throw this.#lines.error;
      pos = to;
    }
    if (pos < len) this.#rest = buf.subarray(pos);
  }

  /** Bytes held for an incomplete line or run. */
  get pending(): number {
    return (this.#rest?.length ?? 0) + this.#lines.buffered;
  }
}
