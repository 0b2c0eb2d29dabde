// A demo client of the dispatcher: one TCP connection, length32-framed JSON requests at a steady
// rate, replies counted. A dropped connection is a crash: its supervisor restarts it with backoff,
// which is how the demo reconnects (and shows supervision of I/O). Before the first connection of
// the run succeeds, a refused connect is retried quietly: the dispatcher's section may still be
// starting (sections start one after the other), and that is not a fault.

import net from 'node:net';
import { Buffer } from 'node:buffer';
import { defineActor } from '../../runtime/index.ts';
import { StreamConnection } from '../../runtime/io/index.ts';
import { encodeLength32, Length32Decoder } from '../../protocols/framing/index.ts';

export interface ClientConfig {
  host: string;
  port: number;
  ratePerSecond: number;
  reportEveryMs: number;
}

// Socket events carry the number of the connection they come from: the mailbox outlives a crash,
// so a restarted incarnation can still find its predecessor's `down` (an error is followed by a
// close) and must not crash on it.
type ClientMsg = { type: 'tick' } | { type: 'report' } | { type: 'connect' } | { type: 'reply'; conn: number; frame: string } | { type: 'down'; conn: number; why: string };

const FRAMING = { maxFrameSize: 1 << 20 };
/** Retries of a refused first connect, 100 ms apart (the dispatcher listens within ~0.1 s of the run's start). */
const FIRST_CONNECT_TRIES = 100;
let connections = 0;
/** Whether any incarnation in this process has connected: from then on a refusal is a crash. */
let everConnected = false;

export const DispatcherClient = defineActor<ClientMsg, ClientConfig>(import.meta.url, 'DispatcherClient', (cfg, ctx) => {
  let conn: StreamConnection | null = null;
  let connected = false;
  let sent = 0;
  let received = 0;
  let errors = 0;
  let windowReplies = 0;
  let id = 0;
  let refusals = 0;
  const open = (): void => {
    const my = (id = ++connections);
    const s = net.connect({ host: cfg.host, port: cfg.port });
    s.setNoDelay(true);
    s.on('connect', () => {
      if (my !== id) return;
      connected = everConnected = true;
      ctx.log.info('connected to the dispatcher', { port: cfg.port });
    });
    // The stop hook detaches the connection: a restarted incarnation never hears the old socket.
    conn = new StreamConnection(s, {
      decoder: new Length32Decoder(FRAMING),
      handlers: {
        frames: (frames) => {
          for (const f of frames) ctx.self.tell({ type: 'reply', conn: my, frame: f.toString('utf8') });
        },
        framingError: (err) => ctx.self.tell({ type: 'down', conn: my, why: err.message }),
        error: (err) => ctx.self.tell({ type: 'down', conn: my, why: err.message }),
        closed: () => ctx.self.tell({ type: 'down', conn: my, why: 'connection closed' }),
      },
    });
  };
  return {
    started() {
      open();
      ctx.timers.every('tick', 50, { type: 'tick' });
      ctx.timers.every('report', cfg.reportEveryMs, { type: 'report' });
    },
    receive(msg) {
      switch (msg.type) {
        case 'tick': {
          if (!connected || !conn) return;
          const perTick = Math.max(1, Math.round(cfg.ratePerSecond / 20));
          for (let i = 0; i < perTick; i++) conn.write(encodeLength32(Buffer.from(JSON.stringify({ n: sent++, from: 'demo' })), FRAMING));
          return;
        }
        case 'connect':
          open();
          return;
        case 'reply':
          if (msg.conn !== id) return;
          received++;
          windowReplies++;
          if (msg.frame.startsWith('{"error"')) errors++;
          return;
        case 'report':
          ctx.log.info('dispatcher round trips', { sent, received, errors, perSecond: Math.round((windowReplies * 1000) / cfg.reportEveryMs) });
          windowReplies = 0;
          return;
        case 'down':
          if (msg.conn !== id) return; // a former connection's last words
          if (!everConnected && msg.why.includes('ECONNREFUSED') && ++refusals < FIRST_CONNECT_TRIES) {
            if (refusals === 1) ctx.log.info('waiting for the dispatcher to listen', { port: cfg.port });
            conn?.detach();
            id = 0; // the refused socket's close is not news
            ctx.timers.once('connect', 100, { type: 'connect' });
            return;
          }
          // The supervisor restarts us with backoff: that is the reconnect.
          throw new Error(`dispatcher connection lost: ${msg.why}`);
      }
    },
    stopped() {
      conn?.detach();
      conn = null;
    },
    inspect: () => ({ connected, sent, received, errors, refusals }),
  };
});

/** Keeps the client connected: each lost connection is a crash, restarted with backoff. */
export const ClientSupervisor = defineActor<never, ClientConfig>(
  import.meta.url,
  'ClientSupervisor',
  (cfg, ctx) => ({
    started() {
      ctx.spawn(DispatcherClient, { name: 'client', props: cfg });
    },
    receive() {},
  }),
  { supervisor: { strategy: 'one-for-one', maxRestarts: 60, withinMs: 60_000, backoff: { minMs: 200, maxMs: 3000, jitter: 0.2 } } },
);
