// `Acceptor` (dispatcher.md §1.1, §5.2): the listener, the allow-list, the connection table and
// the group loads. The accept pipeline runs in the normative order: allow-list, duplicate peer,
// capacity, least-loaded group, register. Its `inspect()` shows the dispatcher's table, counters
// and gauges (§9.2).

import type net from 'node:net';
import type { ActorRef } from '../../runtime/index.ts';
import { defineActor } from '../../runtime/actor/behavior.ts';
import { Listener, type Admission, type BindError, type Peer } from '../../runtime/io/listener.ts';
import { freeSlot, shared, type IoConns, type IoShared } from './shared.ts';
import type { AcceptorMsg, ConnMsg, GroupMsg, IoMsg } from './messages.ts';

export interface AcceptorProps {
  io: string;
}

/** Closes a live slot's connection at once (no further bytes) and frees the slot. */
export function closeSlot(s: IoConns, slot: number): void {
  const row = s.table.rows[slot];
  if (!row.live) return;
  const gen = row.gen;
  const extra = row.extra;
  freeSlot(s, slot, gen);
  if (extra) {
    extra.socket.destroy();
    extra.ref?.tell({ t: 'evict' } satisfies ConnMsg);
  }
}

/** Gauges and the live table of one dispatcher (§9.2). */
export function dispatcherView(s: IoShared) {
  let inFlight = 0;
  for (const r of s.table.rows) {
    if (!r.live) continue;
    r.extra?.core?.syncRow();
    inFlight += r.inFlight;
  }
  return {
    dispatcher: s.cfg.Name,
    address: `${s.cfg.IP}:${s.cfg.Port}`,
    listening: s.listening,
    draining: s.draining,
    framing: s.cfg.Framing,
    protocol: s.cfg.Protocol,
    handler: s.cfg.Handler.Kind,
    counters: { ...s.counters },
    gauges: {
      liveConnections: s.table.liveCount,
      maxConnections: s.table.size,
      groupLoads: [...s.table.loads],
      queueDepth: s.queueDepth,
      inFlight,
      workers: s.workers,
    },
    table: s.table.inspect(),
  };
}

export const Acceptor = defineActor<AcceptorMsg, AcceptorProps>(import.meta.url, 'Acceptor', (props, ctx) => {
  // The acceptor shows the whole dispatcher in `inspect`, so it sees all of its state.
  const s: IoShared = shared(ctx, props.io);
  const cfg = s.cfg;
  const io = ctx.parent as ActorRef<IoMsg>;
  const groups: ActorRef<GroupMsg>[] = [];
  for (let g = 0; g < cfg.NumThreads; g++) groups.push(ctx.refFor<GroupMsg>(`${props.io}/g${g}`, ctx.thread));
  let listener: Listener | null = null;
  /**
   * Connections accepted before the handlers are up (the listener binds first, for a fast start):
   * registered, not read. They are served once the I/O actor opens the acceptor, or closed with
   * zero bytes if the dispatcher fails to start or drains first (§7.1: nothing is served before
   * the start is known to have succeeded).
   */
  let held: { slot: number; gen: number }[] = [];
  const closeHeld = (): void => {
    for (const h of held) if (s.table.rows[h.slot].live && s.table.rows[h.slot].gen === h.gen) closeSlot(s, h.slot);
    held = [];
  };

  /** §5.2 steps 1-4, before anything touches the socket: draining, allow-list, duplicate peer, capacity. */
  const admit = (peer: Peer): Admission => {
    if (s.draining || peer.address === '') return 'refuse';
    const { address: ip, port } = peer;
    // 2. allow-list: no byte sent, no slot, no load change
    if (s.allow !== null && !s.allow.matches(ip)) {
      s.counters.denied++;
      s.log.info('peer denied by the allow-list', { peer: ip, port });
      return 'refuse';
    }
    // 3. duplicate peer: evict the old connection synchronously
    if (cfg.EvictDuplicatePeer) {
      const old = s.table.findPeer(ip, port);
      if (old >= 0) {
        closeSlot(s, old);
        s.counters.evicted++;
        s.log.info('duplicate peer: old connection evicted', { peer: ip, port, slot: old });
      }
    }
    // 4. capacity: the connect succeeds, then the client reads EOF with zero bytes
    if (s.table.full) {
      s.counters.rejectedFull++;
      s.log.info('connection table full; peer closed', { peer: ip, port, maxConnections: cfg.MaxConnections });
      return 'end';
    }
    return 'accept';
  };

  // 5-6. least-loaded group, register, create the Connection
  const onConnection = (sock: net.Socket, peer: Peer): void => {
    const row = s.table.register(peer.address, peer.port, Date.now(), { socket: sock, ref: null, core: null })!;
    s.counters.accepted++;
    s.log.debug('connection accepted', { peer: peer.address, port: peer.port, slot: row.slot, gen: row.gen, group: row.group, held: !s.serving });
    if (s.serving) groups[row.group].tell({ t: 'adopt', slot: row.slot, gen: row.gen });
    else held.push({ slot: row.slot, gen: row.gen });
  };

  return {
    started() {
      if (s.draining) return;
      const l = new Listener({
        target: { kind: 'tcp', host: cfg.IP, port: cfg.Port, backlog: cfg.Backlog, exclusive: true },
        admit,
        onConnection,
        onError: (err) => {
          if (listener === l) ctx.fail(new Error(`listener failed on ${cfg.IP}:${cfg.Port}: ${err.message}`));
        },
      });
      listener = l;
      l.ready.then(
        () => {
          if (listener !== l) return;
          s.listening = true;
          s.log.info('listening', { address: `${cfg.IP}:${cfg.Port}`, framing: cfg.Framing, protocol: cfg.Protocol });
          io.tell({ t: 'listening', address: `${cfg.IP}:${cfg.Port}` });
        },
        (err: BindError) => {
          if (listener !== l || err.code === 'ESTOPPED') return; // drained before it listened
          if (ctx.restarts === 0) io.tell({ t: 'bind-failed', code: err.code, error: `cannot listen on ${cfg.IP}:${cfg.Port}: ${err.detail}` });
          else ctx.fail(new Error(`listener failed on ${cfg.IP}:${cfg.Port}: ${err.detail}`));
        },
      );
    },
    receive(msg) {
      if (msg.t === 'open') {
        for (const h of held) {
          const row = s.table.rows[h.slot];
          if (row.live && row.gen === h.gen) groups[row.group].tell({ t: 'adopt', slot: h.slot, gen: h.gen });
        }
        held = [];
      } else if (msg.t === 'drain') {
        // §6.2 step 1: close the listener; later connects are refused. Held connections were never read: they close at once.
        s.listening = false;
        listener?.stop();
        closeHeld();
      }
    },
    stopped(_ctx, reason) {
      s.listening = false;
      listener?.stop();
      listener = null;
      closeHeld();
      if (typeof reason === 'object') {
        // §7.1: an I/O actor failure closes every connection and frees its slot before the restart.
        for (let slot = 0; slot < s.table.size; slot++) closeSlot(s, slot);
      }
    },
    inspect() {
      return dispatcherView(s);
    },
  };
});
