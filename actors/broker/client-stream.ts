// The streaming receive of BrokerClient (`messages(id)`, json-stream.ts): a hand-written async
// iterator that hands out the messages of each pushed batch from that batch (a settled promise
// each, no async generator step) and acknowledges them once the caller comes back for more.
// The stream is opened binary: the local broker sends runs (stream-binary.ts) whose texts are
// decoded only as the caller takes them, one message object at a time.

import { encodeStreamAck, encodeStreamOpen } from '../../protocols/broker/json-stream.ts';
import type { JsonReply } from '../../protocols/broker/json.ts';
import { runText, type StreamRun } from '../../protocols/broker/stream-binary.ts';
import { BROKER_ERRORS, type Delivery } from '../../protocols/broker/types.ts';
import type { BrokerError, BrokerMessage, MessagesOptions } from './client.ts';

/** What a stream's lines go to: a batch of messages (a JSON line or a binary run), or the broker ending it. */
export interface StreamHandler {
  batch(msgs: Delivery[]): void;
  run(r: StreamRun): void;
  end(code: number, description: string): void;
}

/** The client's side the iterator uses: its rids, its stream table, its connection. */
export interface StreamIo {
  nextRid(): number;
  register(rid: number, h: StreamHandler): void;
  unregister(rid: number): void;
  /** Writes `line` and resolves with the reply to `rid`. */
  request(rid: number, line: string): Promise<JsonReply>;
  write(line: string): void;
  /** The client was closed or lost its connection. */
  readonly closed: boolean;
  /** Lines can still be written. */
  readonly writable: boolean;
  /** The client's BrokerError for a negative status (kept there: no import cycle). */
  error(code: number, description: string): BrokerError;
}

export function messageStream(io: StreamIo, id: number, options: MessagesOptions): AsyncIterableIterator<BrokerMessage> {
  const credit = options.credit ?? 1024;
  const signal = options.signal;
  const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };
  let phase: 'new' | 'open' | 'done' = 'new';
  let rid = 0;
  // the segment being handed out (a decoded batch, or a run decoded message by message) and the ones after it
  let q: BrokerMessage[] = [];
  let run: StreamRun | null = null;
  let head = 0;
  let len = 0;
  const later: (BrokerMessage[] | StreamRun)[] = [];
  const load = (seg: BrokerMessage[] | StreamRun): void => {
    head = 0;
    if (Array.isArray(seg)) {
      q = seg;
      run = null;
      len = seg.length;
    } else {
      run = seg;
      len = seg.count;
    }
  };
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
    io.unregister(rid);
    
    signal?.removeEventListener('abort', poke);
    if (wasOpen && io.writable && ended === null) {
      io.write(encodeStreamAck({ rid, seq: last > acked ? last : acked, close: true }));
    }
  };
  /** The next result if one is ready (null: wait for a batch). Throws the broker's end of the stream. */
  const step = (): IteratorResult<BrokerMessage, undefined> | null => {
    if (out) {
      out = false;
      // acknowledged only once the caller comes back for more, so a crash inside the loop body
      // gets the message again (at least once)
      if (++sinceAck * 2 >= credit || (head === len && later.length === 0)) {
        io.write(encodeStreamAck({ rid, seq: last, close: false }));
        acked = last;
        sinceAck = 0;
      }
    }
    while (head === len && later.length > 0) load(later.shift() as BrokerMessage[] | StreamRun);
    if (head < len) {
      const r = run;
      let m: BrokerMessage;
      if (r === null) m = q[head++];
      else {
        try {
          m = { topic: r.topic, msg: runText(r, head), seq: r.seq + head };
        } catch (e) {
          ended = io.error(BROKER_ERRORS.PROTOCOL_ERROR, `the local broker sent a malformed stream run: ${(e as Error).message}`);
          finish();
          throw ended;
        }
        head++;
      }
      last = m.seq; // taken once handed out (a `break` in the body keeps it taken, as recv would)
      out = true;
      return { value: m, done: false };
    }
    if (len > 0) {
      q = [];
      run = null;
      head = len = 0;
    }
    if (ended) {
      finish();
      throw ended;
    }
    if (signal?.aborted || io.closed) {
      finish();
      return DONE;
    }
    return null;
  };
  const open = async (): Promise<void> => {
    rid = io.nextRid();
    phase = 'open';
    io.register(rid, {
      batch: (msgs) => {
        // the decoded batch itself: no copy
        if (head === len && later.length === 0) load(msgs);
        else later.push(msgs);
        poke();
      },
      run: (r) => {
        if (head === len && later.length === 0) load(r);
        else later.push(r);
        poke();
      },
      end: (code, description) => {
        ended = io.error(code, description);
        poke();
      },
    });
    signal?.addEventListener('abort', poke);
    const opened = await io.request(rid, encodeStreamOpen({ rid, id, credit, binary: true }));
    if (opened.status < 0) {
      ended = io.error(opened.status, opened.description);
      finish();
      throw ended;
    }
  };
  const next = async (): Promise<IteratorResult<BrokerMessage, undefined>> => {
    if (phase === 'new') {
      if (signal?.aborted || io.closed) {
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
      if (phase === 'open' && wake === null && (out || head < len || later.length > 0)) {
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
