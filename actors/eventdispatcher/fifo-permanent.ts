// The permanent FIFO variant (eventdispatcher.md §3.1 "Pipe / FIFO ... upstream also describes a
// permanent variant", driven as §4): a message writer into a named pipe that re-opens it when its
// reader goes away. The reading side needs no variant: FifoConnection (kinds.ts) holds the FIFO
// read-write, so writers may come and go without an end of file.
//
// A FIFO opened write-only and non-blocking fails with ENXIO while no process reads it: that is
// a failed attempt, retried on the pause list (default "1"). A reader that goes away shows up as
// EPIPE on the next write: the connection drops and the next attempt follows the schedule.
// `send(msg, cache = true)` while no reader is there keeps a copy, written FIFO on re-open (§4.2).
// Like a TCP peer that vanishes, a message written just before the reader died may be lost with it
// (the kernel's pipe buffer goes with the last reader).

import type net from 'node:net';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { defineActor, type ActorRef } from '../../runtime/index.ts';
import { ensureFifo, openFifoWriter } from '../../runtime/io/index.ts';
import { realClock } from './clock.ts';
import { PermanentConnection } from './permanent.ts';
import { makePolicy, type PolicyConfig } from './reconnect.ts';

export interface PermanentFifoProps {
  path: string;
  /** Create the FIFO (mkfifo, mode 600) when it does not exist. */
  create?: boolean;
  /** Pause list between attempts while no reader is there (default "1"). */
  pauses?: PolicyConfig;
}

export type PermanentFifoMsg =
  | { t: 'send'; line: string; cache?: boolean }
  | { t: 'dropped'; socket: net.Socket }
  | { t: 'info' };

export interface PermanentFifoInfo {
  connected: boolean;
  state: string;
  attempts: number;
  cached: number;
  reopened: number;
}

export const PermanentFifoWriter = defineActor<PermanentFifoMsg, PermanentFifoProps>(import.meta.url, 'PermanentFifoWriter', (props, ctx) => {
  const self = ctx.self as ActorRef<PermanentFifoMsg>;
  let socket: net.Socket | null = null;
  let connects = 0;
  const perm = new PermanentConnection({
    clock: realClock,
    policy: makePolicy(props.pauses ?? '1'),
    log: ctx.log,
    attempt: (done) =>
      openFifoWriter(props.path, (r) => {
        if (r instanceof Error) return done(r);
        const s = r;
        // EPIPE (the reader went away) or any other error: the connection drops; close follows.
        s.on('error', (err) => ctx.log.debug('fifo writer error', { fifo: props.path, error: err.message }));
        s.once('close', () => void self.tell({ t: 'dropped', socket: s }));
        socket = s;
        done({
          send: (m) => !s.destroyed && (s.write(`${m.toMessage()}\n`), true),
          close: () => s.end(),
        });
      }),
    connected: () => {
      connects++;
      ctx.log.info(connects === 1 ? 'fifo opened' : 'fifo re-opened', { fifo: props.path });
    },
  });
  const info = (): PermanentFifoInfo => ({ connected: perm.isConnected(), state: perm.state, attempts: perm.attemptCount, cached: perm.cached, reopened: Math.max(0, connects - 1) });
  return {
    started() {
      ensureFifo(props.path, props.create ?? false);
      perm.start();
    },
    receive(msg) {
      switch (msg.t) {
        case 'send': {
          const m = new Message();
          if (!m.fromMessage(msg.line)) {
            ctx.log.error(`cannot send an invalid message: ${m.lastError?.message}`);
            return ctx.reply(false);
          }
          return ctx.reply(perm.send(m, msg.cache ?? false));
        }
        case 'dropped':
          if (socket === msg.socket) {
            socket = null;
            ctx.log.info('fifo reader went away', { fifo: props.path });
            perm.messengerDropped();
          }
          return;
        case 'info':
          return ctx.reply(info());
      }
    },
    stopped() {
      perm.stop();
      socket?.destroy();
    },
    inspect: () => ({ fifo: props.path, ...info() }),
  };
});
