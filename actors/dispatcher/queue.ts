// `RequestQueue` (dispatcher.md §1.1, §5.6): the bounded FIFO of request envelopes shared by a
// dispatcher's connections, handing the oldest envelopes to free workers. Admission (the bound,
// `QueueCapacity`) is checked synchronously by connections on the same thread through the shared
// depth; the queue wakes paused connections when it has room, and asks the pool to grow when
// every worker is busy and envelopes wait.

import type { ActorRef } from '../../runtime/index.ts';
import { defineActor } from '../../runtime/actor/behavior.ts';
import { shared, type IoAdmission, type IoSetup } from './shared.ts';
import type { ConnMsg, Envelope, PoolMsg, QueueMsg, WorkerMsg } from './messages.ts';

export interface QueueProps {
  io: string;
}

interface WorkerSlot {
  ref: ActorRef<WorkerMsg>;
  capacity: number;
  out: number;
}

export const RequestQueue = defineActor<QueueMsg, QueueProps>(import.meta.url, 'RequestQueue', (props, ctx) => {
  const s: IoSetup & IoAdmission = shared(ctx, props.io);
  const cfg = s.cfg;
  const pool = ctx.refFor<PoolMsg>(`${props.io}/pool`, ctx.thread);
  let fifo: Envelope[] = [];
  let head = 0;
  const workers: WorkerSlot[] = [];
  const byPath = new Map<string, WorkerSlot>();
  let growAsked = false;

  const dispatch = (): void => {
    while (head < fifo.length) {
      // the least loaded worker with room
      let best: WorkerSlot | null = null;
      let bestFree = 0;
      for (const w of workers) {
        const free = w.capacity - w.out;
        if (free > bestFree) {
          best = w;
          bestFree = free;
        }
      }
      if (best === null) break;
      const k = Math.min(bestFree, fifo.length - head);
      const items = fifo.slice(head, head + k);
      head += k;
      best.out += k;
      s.queueDepth -= k;
      best.ref.tell({ t: 'run', items });
    }
    if (head >= fifo.length) {
      fifo = [];
      head = 0;
    } else if (head > 1024 && head * 2 > fifo.length) {
      fifo = fifo.slice(head);
      head = 0;
    }
    if (head < fifo.length && !growAsked && workers.length < cfg.Workers.Max) {
      growAsked = true;
      pool.tell({ t: 'grow' });
    }
    if (s.queueWaiters.size > 0 && s.queueDepth < cfg.QueueCapacity) {
      const waiters = [...s.queueWaiters];
      s.queueWaiters.clear();
      for (const w of waiters) w.tell({ t: 'resume' } satisfies ConnMsg);
    }
  };

  return {
    started() {
      // A restarted queue knows no worker yet: every worker registers again.
      if (ctx.restarts > 0) pool.tell({ t: 'rehello' });
    },
    receive(msg) {
      switch (msg.t) {
        case 'enq': {
          const items = msg.items;
          for (let i = 0; i < items.length; i++) fifo.push(items[i]);
          dispatch();
          break;
        }
        case 'hello': {
          const w = byPath.get(msg.worker.path);
          if (w) {
            w.capacity = msg.capacity;
            w.out = msg.busy;
          } else {
            const slot = { ref: msg.worker, capacity: msg.capacity, out: msg.busy };
            workers.push(slot);
            byPath.set(msg.worker.path, slot);
          }
          growAsked = false;
          dispatch();
          break;
        }
        case 'credit': {
          const w = byPath.get(msg.worker.path);
          if (w) w.out = Math.max(0, w.out - msg.n);
          dispatch();
          break;
        }
        case 'leave': {
          const w = byPath.get(msg.worker.path);
          if (w) {
            byPath.delete(msg.worker.path);
            workers.splice(workers.indexOf(w), 1);
          }
          growAsked = false;
          msg.worker.tell({ t: 'left' });
          break;
        }
      }
    },
    stopped() {
      // Envelopes still queued are lost with the queue; their connections answer TIMEOUT/SHUTDOWN.
      s.queueDepth = Math.max(0, s.queueDepth - (fifo.length - head));
    },
    inspect() {
      return { depth: fifo.length - head, capacity: cfg.QueueCapacity, workers: workers.map((w) => ({ worker: w.ref.path, capacity: w.capacity, busy: w.out })) };
    },
  };
});
