// BrokerClient: the program API of the broker (`import { BrokerClient } from 'actor-runtime/broker'`).
// It talks to the machine's local broker over its Unix socket (JSON lines, pipelined by rid).
// Typed helpers resolve with the success value and reject with a BrokerError; `call` gives the
// raw reply object (what `broker … --json` prints). Loads only node:net and the broker codecs.

import { connect, type Socket } from 'node:net';
// the JSON codecs only (not protocols/broker/index.ts): a one-shot CLI run loads nothing of the binary link codec
import { encodeJsonRequest, replyToJson, type JsonReply } from '../../protocols/broker/json.ts';
import { decodeLbLine } from '../../protocols/broker/json-stream.ts';
import { messageStream, type StreamHandler, type StreamIo } from './client-stream.ts';
import { LbSocketSplitter } from '../../protocols/broker/stream-binary.ts';
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
/**
 * The longest line or stream run taken from the local broker: it cuts runs under its own cap, and
 * a reply line is far smaller (a recv reply holds one message); past this it is not a local broker.
 */
const MAX_INCOMING = 64 << 20;

export interface MessagesOptions {
  /** Ends the iteration (the stream closes; what was not consumed stays pending). */
  signal?: AbortSignal;
  /** Messages the local broker may push before the client acknowledges them (default 1024). */
  credit?: number;
  /** Ignored: kept so callers of the polling version still type-check. */
  pollMs?: number;
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
  readonly #in = new LbSocketSplitter(MAX_INCOMING);
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
    sock.on('data', (chunk: Buffer) => this.#data(chunk));
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

  #data(chunk: Buffer): void {
    let items;
    try {
      items = this.#in.push(chunk);
    } catch (e) {
      this.#fail(`the local broker sent a malformed reply: ${(e as Error).message}`);
      this.#sock.destroy();
      return;
    }
    for (const item of items) {
      if (item.kind === 'run') {
        this.#streams.get(item.run.stream)?.run(item.run);
        continue;
      }
      let reply: JsonReply;
      try {
        const decoded = decodeLbLine(item.text);
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
   * The iterator hands out the messages of a pushed batch from that batch (client-stream.ts).
   */
  messages(id: number, options: MessagesOptions = {}): AsyncIterableIterator<BrokerMessage> {
    const io: StreamIo = {
      nextRid: () => this.#nextRid(),
      register: (rid, h) => this.#streams.set(rid, h),
      unregister: (rid) => {
        this.#streams.delete(rid);
        this.#waiting.delete(rid);
      },
      request: (rid, line) =>
        new Promise<JsonReply>((resolve) => {
          this.#waiting.set(rid, resolve);
          this.#write(line);
        }),
      write: (line) => this.#write(line),
      error: (code, description) => new BrokerError(code, description),
      get closed() {
        return client.#closed;
      },
      get writable() {
        return !client.#sock.destroyed && !client.#sock.writableEnded;
      },
    };
    const client = this;
    return messageStream(io, id, options);
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
