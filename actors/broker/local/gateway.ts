// LocalGateway (broker.md §5.2, §6.1): the CLI endpoint on a Unix socket, one JSON object per
// line each way, replies correlated by the client's rid (a client may pipeline). A line that is
// not a request answers -9 with rid 0 and closes that connection only. A connection may also open
// streaming receives (json-stream.ts); they end with it, leaving unacknowledged messages pending.
// A stale socket file left by a crash is replaced at start; the socket is unlinked on stop. Mode 0660.

import { chmodSync, rmSync, statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { BROKER_ERRORS, decodeClientLine, encodeBatchReply, encodeJsonReply, type BrokerReply } from '../../../protocols/broker/index.ts';
import { ProtocolError } from '../../../protocols/errors.ts';
import { LinesDecoder } from '../../../protocols/framing/lines.ts';
import type { Logger } from '../../../runtime/actor/types.ts';
import type { LocalBroker } from './local-broker.ts';
import type { LocalStream } from './stream.ts';

export class LocalGateway {
  readonly #lb: LocalBroker;
  readonly #log: Logger;
  readonly #maxLine: number;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  path = '';

  constructor(lb: LocalBroker, log: Logger, maxLine: number) {
    this.#lb = lb;
    this.#log = log;
    this.#maxLine = maxLine;
    this.#server = createServer((s) => this.#connection(s));
  }

  async listen(path: string): Promise<void> {
    this.path = path;
    if (isSocket(path)) {
      if (await answers(path)) throw Object.assign(new Error(`another local broker is listening on ${path}`), { exitCode: 1 });
      rmSync(path); // stale, left by a crash
    }
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(path, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o660);
  }

  #connection(s: Socket): void {
    this.#sockets.add(s);
    const decoder = new LinesDecoder({ maxFrameSize: this.#maxLine });
    const caller = { alive: true };
    // replies of one turn leave in one write: JSON lines joined in a string, binary stream runs
    // (Buffers) between them in order, all corked into one writev
    let out = '';
    let chunks: (string | Buffer)[] = [];
    let scheduled = false;
    const flush = (): void => {
      scheduled = false;
      if (out !== '') chunks.push(out);
      out = '';
      const list = chunks;
      chunks = [];
      if (s.destroyed || list.length === 0) return;
      if (list.length === 1) s.write(list[0]);
      else {
        s.cork();
        for (const c of list) s.write(c);
        s.uncork();
      }
    };
    const write = (chunk: string | Buffer): void => {
      if (s.destroyed) return;
      // a stream's run (pushes from the server) leaves at once when nothing waits before it: the
      // subscriber starts on it, and its ack comes back, before this turn's other work is done
      if (!scheduled && typeof chunk !== 'string') {
        s.write(chunk);
        return;
      }
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      if (typeof chunk === 'string') out += chunk + '\n';
      else {
        if (out !== '') chunks.push(out);
        out = '';
        chunks.push(chunk);
      }
    };
    const send = (r: BrokerReply): void => write(encodeJsonReply(r));
    const streams = new Map<number, LocalStream>();
    s.on('data', (chunk: Buffer) => {
      for (const line of decoder.push(chunk)) {
        let req;
        try {
          req = decodeClientLine(line);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          return this.#fail(s, e.message);
        }
        if (req.type === 'stream') {
          if (streams.has(req.rid)) {
            send({ type: 'error', rid: req.rid, code: BROKER_ERRORS.INVALID_ARGUMENT, description: `stream ${req.rid} is already open on this connection` });
            continue;
          }
          for (const [r, st] of streams) if (st.ended) streams.delete(r); // ended by destroy or stop
          const opened = this.#lb.openStream(req, write);
          send(opened.reply);
          if (opened.stream) streams.set(req.rid, opened.stream);
          continue;
        }
        if (req.type === 'publish-batch') {
          const batch = req.rid;
          this.#lb.publishBatch(req, (status, errors) => write(encodeBatchReply({ batch, status, errors })));
          continue;
        }
        if (req.type === 'ack') {
          const st = streams.get(req.rid);
          if (!st) continue; // a stream the broker already ended
          this.#lb.ackStream(st, req.seq);
          if (req.close) {
            this.#lb.closeStream(st);
            streams.delete(req.rid);
          }
          continue;
        }
        const rq = req;
        const out = this.#lb.handle(req, caller);
        void out.then(send, (e: unknown) => {
          this.#log.error('request failed inside the local broker', { err: String(e) });
          send({ type: 'error', rid: rq.rid, code: BROKER_ERRORS.INTERNAL, description: `internal error: ${String(e)}; nothing was applied` });
        });
      }
      if (decoder.error) this.#fail(s, decoder.error.message);
    });
    s.on('error', () => {});
    s.on('close', () => {
      caller.alive = false;
      this.#sockets.delete(s);
      for (const st of streams.values()) this.#lb.closeStream(st);
      streams.clear();
    });
  }

  #fail(s: Socket, detail: string): void {
    if (s.destroyed) return;
    s.end(encodeJsonReply({ type: 'error', rid: 0, code: BROKER_ERRORS.PROTOCOL_ERROR, description: detail }) + '\n');
    s.destroySoon();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.#server.close(() => r()));
    for (const s of this.#sockets) s.destroy();
    await closed;
    rmSync(this.path, { force: true });
  }
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}
