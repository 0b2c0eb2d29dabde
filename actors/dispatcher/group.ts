// `ConnectionGroup` (dispatcher.md §1.1): a set of connections, the accounting and fault
// partition that replaces the original's reader/writer thread pair. Its load is the number of live
// slots assigned to it (kept in the table). A group that fails has its connections stopped (their
// sockets closed, their slots freed) by the kernel before it restarts; connections are never
// restarted themselves.

import { defineActor } from '../../runtime/actor/behavior.ts';
import { supervisors } from '../../runtime/supervision/supervision.ts';
import { Connection } from './connection.ts';
import { shared, type IoConns } from './shared.ts';
import type { ConnMsg, GroupMsg } from './messages.ts';

export interface GroupProps {
  io: string;
  index: number;
}

export const ConnectionGroup = defineActor<GroupMsg, GroupProps>(
  import.meta.url,
  'ConnectionGroup',
  (props, ctx) => {
    const s: IoConns = shared(ctx, props.io);
    const broadcast = (m: ConnMsg): void => {
      for (const c of ctx.children()) (c as typeof c & { tell(m: ConnMsg): boolean }).tell(m);
    };
    return {
      receive(msg) {
        switch (msg.t) {
          case 'adopt': {
            const row = s.table.route(msg.slot, msg.gen);
            if (row === null) return; // closed or evicted before adoption
            ctx.spawn(Connection, { name: `c${msg.slot}.${msg.gen}`, props: { io: props.io, slot: msg.slot, gen: msg.gen } });
            break;
          }
          case 'drain':
            broadcast({ t: 'drain' });
            break;
          case 'deadline':
            broadcast({ t: 'deadline' });
            break;
        }
      },
      inspect() {
        return { group: props.index, load: s.table.loads[props.index] ?? 0 };
      },
    };
  },
  // Connections handle their own failures (they close); a crash in one is never restarted into a
  // live socket (its restart finds the slot freed and stops).
  { supervisor: supervisors.alwaysRestart({ minMs: 0, maxMs: 0 }) },
);
