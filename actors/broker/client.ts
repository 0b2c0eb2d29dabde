// BrokerClient: the program API of the broker (`import { BrokerClient } from 'actor-runtime/broker'`).
// It talks to the machine's local broker over its Unix socket (JSON lines, pipelined by rid).
// Typed helpers resolve with the success value and reject with a BrokerError; `call` gives the
// raw reply object (what `broker … --json` prints). Loads only node:net and the broker codecs.

import { connect, type Socket } from 'node:net';
import {
  brokerErrorName,
  decodeJsonReply,
  encodeJsonRequest,
  replyToJson,
  BROKER_ERRORS,
  type BrokerRequest,
  type JsonReply,
} from '../../protocols/broker/index.ts';

export type { JsonReply } from '../../protocols/broker/index.ts';

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
}

type RequestBody = BrokerRequest extends infer R ? (R extends { rid: number } ? Omit<R, 'rid'> : never) : never;

export function defaultSocket(): string {
  return process.env.BROKER_LOCAL_SOCKET || './data/lb/lb.sock';
}

export class BrokerClient {
  readonly #sock: Socket;
  readonly #waiting = new Map<number, (r: JsonReply) => void>();
  #rid = 0;
  #buf = '';
  #closed = false;

  private constructor(sock: Socket) {
    this.#sock = sock;
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
        resolve(new BrokerClient(sock));
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
        reply = replyToJson(decodeJsonReply(line));
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
      }
    }
    this.#buf = start === text.length ? '' : text.slice(start);
  }

  #fail(description: string, code: number = BROKER_ERRORS.UNAVAILABLE): void {
    this.#closed = true;
    for (const [rid, w] of this.#waiting) w({ rid, status: code, description });
    this.#waiting.clear();
  }

  /** Sends one request; resolves with the reply object, whatever its status. */
  call(body: RequestBody): Promise<JsonReply> {
    this.#rid = this.#rid >= 0xffff_fffe ? 1 : this.#rid + 1;
    const rid = this.#rid;
    if (this.#closed) return Promise.resolve({ rid, status: BROKER_ERRORS.UNAVAILABLE, description: 'the connection to the local broker is closed' });
    return new Promise((resolve) => {
      this.#waiting.set(rid, resolve);
      this.#sock.write(encodeJsonRequest({ ...body, rid } as BrokerRequest) + '\n');
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

  /** Publishes `msg` to `topic` (created if new); resolves with the number of subscriber queues reached. */
  async publish(id: number, msg: string, topic: string): Promise<number> {
    return (await this.#ok({ type: 'publish', id, topic, msg })).status;
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

  /** Every message of `id` as it arrives, until `signal` aborts or the client closes. */
  async *messages(id: number, options: { signal?: AbortSignal; pollMs?: number } = {}): AsyncGenerator<BrokerMessage> {
    const pollMs = options.pollMs ?? 1000;
    while (!options.signal?.aborted && !this.#closed) {
      const m = await this.recv(id, { timeoutMs: pollMs });
      if (m) yield m;
    }
  }

  async destroy(id: number): Promise<void> {
    await this.#ok({ type: 'destroy', id });
  }

  close(): void {
    this.#closed = true;
    this.#sock.end();
  }
}
