// One `Connection` actor per socket (dispatcher.md §1.1): it takes its slot's socket from the
// table, runs a ConnectionCore on it (connection-core.ts) and hands it its messages. Lives on its
// dispatcher's I/O thread (it owns a socket); an exception closes only this connection.

import { defineActor } from '../../runtime/actor/behavior.ts';
import { ConnectionCore, type ConnectionProps, type ConnView } from './connection-core.ts';
import { freeSlot, shared } from './shared.ts';
import type { ConnMsg } from './messages.ts';

export type { ConnectionProps } from './connection-core.ts';

export const Connection = defineActor<ConnMsg, ConnectionProps>(import.meta.url, 'Connection', (props, ctx) => {
  let core: ConnectionCore | null = null;
  return {
    started() {
      const s: ConnView = shared(ctx, props.io);
      const row = s.table.route(props.slot, props.gen);
      const sock = row?.extra?.socket;
      if (!row || !sock || sock.destroyed) {
        if (row) freeSlot(s, props.slot, props.gen);
        ctx.stop();
        return;
      }
      row.extra!.ref = ctx.self;
      core = new ConnectionCore(s, ctx, props, row, sock);
      row.extra!.core = core;
      try {
        core.start();
      } catch (err) {
        core.crash(err);
      }
    },
    receive(msg) {
      const c = core;
      if (c === null || c.released) return;
      try {
        switch (msg.t) {
          case 'reply':
            c.onReply(msg.seq, msg.out);
            break;
          case 'replies':
            c.onReplies(msg.seqs, msg.outs);
            break;
          case 'drain':
            c.onDrainRequest();
            break;
          case 'deadline':
            c.onDeadline();
            break;
          case 'evict':
            c.send({ type: 'EVICT' });
            break;
          case 'resume':
            c.onResume();
            break;
          case 'request-timeouts':
            c.onRequestTimeouts();
            break;
          case 'idle-check':
            c.onIdleCheck();
            break;
          case 'flush-timeout':
            c.send({ type: 'FLUSH_TIMEOUT' });
            break;
          case 'close-timeout':
            c.send({ type: 'CLOSE_TIMEOUT' });
            break;
        }
      } catch (err) {
        c.crash(err);
      }
    },
    stopped() {
      const c = core;
      if (c === null) return;
      if (!c.released) {
        c.released = true;
        c.s.queueWaiters.delete(ctx.self);
        c.conn.detach();
        freeSlot(c.s, c.slot, c.gen);
      }
      c.machine.stop();
    },
    inspect() {
      const c = core;
      if (c === null) return null;
      return { slot: c.slot, gen: c.gen, phase: c.phase, inFlight: c.win.inFlight, held: c.held.length - c.heldHead, reading: c.conn.reading };
    },
  };
});
