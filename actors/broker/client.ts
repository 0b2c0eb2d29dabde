// BrokerClient: the program API of the broker (`import { BrokerClient } from 'actor-runtime/broker'`).
// It talks to the machine's local broker over its Unix socket (JSON lines, pipelined by rid).
// Typed helpers resolve with the success value and reject with a BrokerError; `call` gives the
// raw reply object (what `broker … --json` prints). Loads only node:net and the broker codecs.

import { connect, type Socket } from 'node:net';
// the JSON codecs only (not protocols/broker/index.ts): a one-shot CLI run loads nothing of the binary link codec
import { encodeJsonRequest, replyToJson, type JsonReply } from '../../protocols/broker/json.ts';
import { decodeLbLine, encodeStreamAck, encodeStreamOpen } from '../../protocols/broker/json-stream.ts';
import { encodePublishBatch, MAX_PUBLISH_BATCH, type BatchReply } from '../../protocols/broker/json-batch.ts';
import { brokerErrorName, BROKER_ERRORS, type BrokerRequest, type Delivery } from '../../protocols/broker/types.ts';

export type { JsonReply } from '../../protocols/broker/json.ts';

/** A negative reply: `code` (-1 … -10), `codeName` (UNKNOWN_ID …) and the broker's description. */
export class BrokerError extends Error {
  override name = 'BrokerError';
  readonly code: number;
  readonly codeName: string;
  readonly description: string;
  constructor(code: number, description: string) {
    super(`error ${code} ${brokerErrorName(code)}: ${description}`);
    this.code = code;
    this.codeName = brokerErrorName(code);
    this.description = description;
  }
}

export interface BrokerMessage {
  topic: string;
  msg: string;
  /** Increases per id; a repeated seq is a duplicate after a crash (at-least-once, broker.md §7.6). */
  seq: number;
}

export interface RecvOptions {
  /** Block until a message arrives (D3). */
  wait?: boolean;
  /** Block at most this long, then resolve null. */
  timeoutMs?: number;
}

export interface ConnectOptions {
  /** The local broker's socket; default $BROKER_LOCAL_SOCKET, else ./data/lb/lb.sock. */
  socket?: string;
  /**
   * The longest line the local broker takes (its `maxFrameBytes`, default 1 MiB): a batch of
   * pipelined publishes is cut so that its line stays under it.
   */
  maxLineBytes?: number;
}

/** The local broker's default line cap (maxFrameBytes, broker.md §6.2). */
const DEFAULT_MAX_LINE = 1 << 20;

export interface MessagesOptions {
  /** Ends the iteration (the stream closes; what was not consumed stays pending). */
  signal?: AbortSignal;
  /** Messages the local broker may push before the client acknowledges them (default 1024). */
  credit?: number;
  /** Ignored: kept so callers of the polling version still type-check. */
  pollMs?: number;
}

/** What a stream's lines go to: a batch of messages, or the broker ending it. */
interface StreamHandler {
  batch(msgs: Delivery[]): void;
  end(code: number, description: string): void;
}

type RequestBody = BrokerRequest extends infer R ? (R extends { rid: number } ? Omit<R, 'rid'> : never) : never;

export function defaultSocket(): string {
  return process.env.BROKER_LOCAL_SOCKET || './data/lb/lb.sock';
}

export class BrokerClient {
  readonly #sock: Socket;
  readonly #waiting = new Map<number, (r: JsonReply) => void>();
  readonly #streams = new Map<number, StreamHandler>();
  #rid = 0;
  #buf = '';
  /** Request lines of this tick, written together (one syscall for a burst of pipelined calls). */
  #out = '';
  #scheduled = false;
  #closed = false;
  /** The publishes of this tick to one id and topic so far: they leave as one batch line (json-batch.ts). */
  #run: { rid: number; id: number; topic: string; msgs: string[]; bytes: number } | null = null;
  /**
   * The most a batch line may hold by the estimate of 3 bytes a UTF-16 unit: JSON escapes take at
   * most 6 a unit, so a line is at most twice the estimate: the estimate stays under half the cap.
   */
  readonly #runCap: number;
  /** Publishes waiting for their status, by rid. */
  readonly #pubs = new Map<number, { resolve(status: number): void; reject(e: BrokerError): void }>();

  private constructor(sock: Socket, maxLineBytes: number) {
    this.#sock = sock;
    this.#runCap = Math.max(1, Math.floor(maxLineBytes / 2) - 256);
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => this.#data(chunk));
    sock.on('error', () => {});
    sock.on('close', () => this.#fail('the connection to the local broker closed'));
  }

  static connect(options: ConnectOptions = {}): Promise<BrokerClient> {
    const path = options.socket ?? defaultSocket();
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      sock.once('connect', () => {
        sock.removeAllListeners('error');
        resolve(new BrokerClient(sock, options.maxLineBytes ?? DEFAULT_MAX_LINE));
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        reject(new BrokerError(BROKER_ERRORS.UNAVAILABLE, `cannot reach the local broker at ${path} (${e.code ?? e.message})`));
      });
    });
  }

  #data(chunk: string): void {
    const text = this.#buf + chunk;
    let start = 0;
    let nl: number;
    // one pass over the chunk: lines are cut by index, the tail is kept once
    while ((nl = text.indexOf('\n', start)) >= 0) {
      const line = text.slice(start, nl);
      start = nl + 1;
      let reply: JsonReply;
      try {
        const decoded = decodeLbLine(line);
        if (decoded.type === 'batch-reply') {
          this.#batchReply(decoded);
          continue;
        }
        if (decoded.type === 'batch' || decoded.type === 'end') {
          const h = this.#streams.get(decoded.stream);
          if (h && decoded.type === 'batch') h.batch(decoded.msgs);
          else if (h && decoded.type === 'end') h.end(decoded.code, decoded.description);
          continue;
        }
        reply = replyToJson(decoded);
      } catch (e) {
        this.#fail(`the local broker sent a malformed reply: ${(e as Error).message}`);
        this.#sock.destroy();
        return;
      }
      if (reply.rid === 0) {
        this.#fail(reply.description, reply.status);
        return;
      }
      const w = this.#waiting.get(reply.rid);
      if (w) {
        this.#waiting.delete(reply.rid);
        w(reply);
        continue;
      }
      const p = this.#pubs.get(reply.rid);
      if (p) {
        this.#pubs.delete(reply.rid);
        if (reply.status < 0) p.reject(new BrokerError(reply.status, reply.description));
        else p.resolve(reply.status);
      }
    }
    this.#buf = start === text.length ? '' : text.slice(start);
  }

  #batchReply(b: BatchReply): void {
    let e = 0;
    for (let i = 0; i < b.status.length; i++) {
      const p = this.#pubs.get(b.batch + i);
      if (!p) continue;
      this.#pubs.delete(b.batch + i);
      const status = b.status[i];
      if (status >= 0) p.resolve(status);
      else {
        while (e < b.errors.length && b.errors[e][0] < i) e++;
        p.reject(new BrokerError(status, b.errors[e]?.[0] === i ? b.errors[e][1] : 'publish failed'));
      }
    }
  }

  #fail(description: string, code: number = BROKER_ERRORS.UNAVAILABLE): void {
    this.#closed = true;
    for (const p of this.#pubs.values()) p.reject(new BrokerError(code, description));
    this.#pubs.clear();
    for (const [rid, w] of this.#waiting) w({ rid, status: code, description });
    this.#waiting.clear();
    for (const h of this.#streams.values()) h.end(code, description);
  }

  #write(line: string): void {
    this.#closeRun();
    this.#schedule();
    this.#out += line + '\n';
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(() => this.#flush());
  }

  /**
   * The gathered publishes become one batch line, even a run of one: the batch path carries no
   * description per success and no promise per message in the local broker (`call` keeps the
   * spec's publish line, whose reply has the description).
   */
  #closeRun(): void {
    const r = this.#run;
    if (r === null) return;
    this.#run = null;
    this.#out += encodePublishBatch(r) + '\n';
  }

  #flush(): void {
    this.#scheduled = false;
    this.#closeRun();
    const out = this.#out;
    this.#out = '';
    if (out !== '' && !this.#sock.destroyed && !this.#sock.writableEnded) this.#sock.write(out);
  }

  #nextRid(): number {
    this.#rid = this.#rid >= 0xffff_fffe ? 1 : this.#rid + 1;
    return this.#rid;
  }

  /** Sends one request; resolves with the reply object, whatever its status. */
  call(body: RequestBody): Promise<JsonReply> {
    const rid = this.#nextRid();
    if (this.#closed) return Promise.resolve({ rid, status: BROKER_ERRORS.UNAVAILABLE, description: 'the connection to the local broker is closed' });
    return new Promise((resolve) => {
      this.#waiting.set(rid, resolve);
      this.#write(encodeJsonRequest({ ...body, rid } as BrokerRequest));
    });
  }

  async #ok(body: RequestBody): Promise<JsonReply> {
    const r = await this.call(body);
    if (r.status < 0) throw new BrokerError(r.status, r.description);
    return r;
  }

  /** A new id (≥ 1) at this machine's local broker. */
  async create(): Promise<number> {
    return (await this.#ok({ type: 'create' })).status;
  }

  /**
   * Publishes `msg` to `topic` (created if new); resolves with the number of subscriber queues
   * reached. Publishes are pipelined: call it again without awaiting, and the publishes of one
   * tick to one id and topic leave as one batch line (each still its own operation, applied in
   * call order, with its own status or BrokerError).
   */
  publish(id: number, msg: string, topic: string): Promise<number> {
    if (this.#closed) return Promise.reject(new BrokerError(BROKER_ERRORS.UNAVAILABLE, 'the connection to the local broker is closed'));
    const rid = this.#nextRid();
    return new Promise((resolve, reject) => {
      this.#pubs.set(rid, { resolve, reject });
      const run = this.#run;
      const cost = 3 * msg.length + 4;
      if (run !== null && run.id === id && run.topic === topic && run.rid + run.msgs.length === rid && run.msgs.length < MAX_PUBLISH_BATCH && run.bytes + cost <= this.#runCap) {
        run.msgs.push(msg);
        run.bytes += cost;
        return;
      }
      this.#closeRun();
      this.#run = { rid, id, topic, msgs: [msg], bytes: 64 + 3 * topic.length + cost };
      this.#schedule();
    });
  }

  /** Resolves true when subscribed now, false when it already was (D1). */
  async subscribe(id: number, topic: string): Promise<boolean> {
    return (await this.#ok({ type: 'subscribe', id, topic })).status === 0;
  }

  /** Resolves true when removed, false when it was not subscribed (D4). */
  async unsubscribe(id: number, topic: string): Promise<boolean> {
    return (await this.#ok({ type: 'unsubscribe', id, topic })).status === 0;
  }

  /** The oldest pending message of `id`, or null (at once by default; see RecvOptions). */
  async recv(id: number, options: RecvOptions = {}): Promise<BrokerMessage | null> {
    const body: RequestBody = options.timeoutMs === undefined ? { type: 'recv', id, wait: options.wait === true } : { type: 'recv', id, wait: options.wait === true, timeoutMs: options.timeoutMs };
    const r = await this.#ok(body);
    return r.status === 1 ? { topic: r.topic as string, msg: r.msg as string, seq: r.seq as number } : null;
  }

  /**
   * Every message of `id` as it arrives, until `signal` aborts or the client closes. It opens a
   * streaming receive: the local broker pushes up to `credit` messages ahead, and the client
   * acknowledges them once the loop body has taken them (at the end of each batch, or every half
   * window), so a message is consumed only after the caller asked for the next one. Only one
   * stream or waiting recv per id at a time (-4 otherwise); recv on a streamed id gives -4.
   * The iterator hands out the messages of a pushed batch one by one from that batch (an already
   * settled promise each), and waits only when the batch is used up.
   */
  messages(id: number, options: MessagesOptions = {}): AsyncIterableIterator<BrokerMessage> {
    const credit = options.credit ?? 1024;
    const signal = options.signal;
    const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };
    let phase: 'new' | 'open' | 'done' = 'new';
    let rid = 0;
    let q: BrokerMessage[] = [];
    let head = 0;
    let ended: BrokerError | null = null;
    let wake: (() => void) | null = null;
    const poke = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    let acked = 0;
    let last = 0;
    let sinceAck = 0;
    /** A message was handed out and the caller has not come back for the next one yet. */
    let out = false;
    const finish = (): void => {
      if (phase === 'done') return;
      const wasOpen = phase === 'open';
      phase = 'done';
      this.#streams.delete(rid);
      this.#waiting.delete(rid);
      signal?.removeEventListener('abort', poke);
      if (wasOpen && !this.#sock.destroyed && !this.#sock.writableEnded && ended === null) {
        this.#write(encodeStreamAck({ rid, seq: last > acked ? last : acked, close: true }));
      }
    };
    /** The next result if one is ready (null: wait for a batch). Throws the broker's end of the stream. */
    const step = (): IteratorResult<BrokerMessage, undefined> | null => {
      if (out) {
        out = false;
        // acknowledged only once the caller comes back for more, so a crash inside the loop body
        // gets the message again (at least once)
        if (++sinceAck * 2 >= credit || head === q.length) {
          this.#write(encodeStreamAck({ rid, seq: last, close: false }));
          acked = last;
          sinceAck = 0;
        }
      }
      if (head < q.length) {
        const m = q[head++];
        last = m.seq; // taken once handed out (a `break` in the body keeps it taken, as recv would)
        out = true;
        return { value: m, done: false };
      }
      if (head > 0) {
        q = [];
        head = 0;
      }
      if (ended) {
        finish();
        throw ended;
      }
      if (signal?.aborted || this.#closed) {
        finish();
        return DONE;
      }
      return null;
    };
    const open = async (): Promise<void> => {
      rid = this.#nextRid();
      phase = 'open';
      this.#streams.set(rid, {
        batch: (msgs) => {
          if (head === q.length) {
            q = msgs; // the decoded batch itself: no copy
            head = 0;
          } else for (const m of msgs) q.push(m);
          poke();
        },
        end: (code, description) => {
          ended = new BrokerError(code, description);
          poke();
        },
      });
      signal?.addEventListener('abort', poke);
      const opened = await new Promise<JsonReply>((resolve) => {
        this.#waiting.set(rid, resolve);
        this.#write(encodeStreamOpen({ rid, id, credit }));
      });
      if (opened.status < 0) {
        ended = new BrokerError(opened.status, opened.description);
        finish();
        throw ended;
      }
    };
    const next = async (): Promise<IteratorResult<BrokerMessage, undefined>> => {
      if (phase === 'new') {
        if (signal?.aborted || this.#closed) {
          phase = 'done';
          return DONE;
        }
        await open();
      }
      for (;;) {
        if (phase === 'done') return DONE;
        const r = step();
        if (r !== null) return r;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    };
    const iterator: AsyncIterableIterator<BrokerMessage> = {
      next: () => {
        // the common case, a message of the current batch, takes no async function call
        if (phase === 'open' && wake === null && (out || head < q.length)) {
          try {
            const r = step();
            if (r !== null) return Promise.resolve(r);
          } catch (e) {
            return Promise.reject(e);
          }
        }
        return next();
      },
      return: () => {
        finish();
        return Promise.resolve(DONE);
      },
      throw: (e?: unknown) => {
        finish();
        return Promise.reject(e);
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  async destroy(id: number): Promise<void> {
    await this.#ok({ type: 'destroy', id });
  }

  close(): void {
    this.#closed = true;
    for (const h of this.#streams.values()) h.batch([]); // wakes the iterators, which then end
    this.#flush();
    this.#sock.end();
  }
}
