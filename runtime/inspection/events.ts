// The inspection event stream: one ordered sequence per system. Workers forward their events to
// the main thread in batches; the main thread stamps a sequence number and fans them out.

export type RuntimeEvent =
  | { type: 'spawn'; path: string; thread: number; kind: string; parent: string }
  | { type: 'stop'; path: string; thread: number; reason: string }
  | { type: 'restart'; path: string; thread: number; reason: string; restarts: number }
  | { type: 'crash'; path: string; thread: number; reason: string }
  | { type: 'escalate'; path: string; thread: number; reason: string }
  | { type: 'dead-letter'; path: string; thread: number; count: number; reason: string }
  | { type: 'thread-died'; thread: number; reason: string }
  | { type: 'thread-started'; thread: number }
  | {
      type: 'stats';
      thread: number;
      actors: { path: string; depth: number; processed: number }[];
      /** The whole thread since the last report: messages handled, actors (the list holds the busiest only). */
      total?: { processed: number; actors: number };
    }
  | { type: 'node'; thread: number; node: string; state: 'up' | 'down'; reason: string };

export type StampedEvent = RuntimeEvent & { seq: number; at: number };

export type EventListener = (ev: StampedEvent) => void;

type Counts = EventBus['counts'];
/** Which total each event type adds to. */
const COUNTED: Partial<Record<RuntimeEvent['type'], keyof Counts>> = {
  spawn: 'spawn',
  stop: 'stop',
  restart: 'restart',
  crash: 'crash',
  'dead-letter': 'deadLetters',
  escalate: 'escalate',
  'thread-died': 'threadDied',
};

export class EventBus {
  private listeners = new Set<EventListener>();
  private seq = 0;
  /** Totals kept for `inspect` even with no listener attached. */
  readonly counts = { spawn: 0, stop: 0, restart: 0, crash: 0, deadLetters: 0, escalate: 0, threadDied: 0 };

  /** `at` is when the event happened on its thread (workers stamp it); arrival time otherwise. */
  publish(ev: RuntimeEvent & { at?: number }): void {
    const key = COUNTED[ev.type];
    if (key) this.counts[key] += ev.type === 'dead-letter' ? ev.count : 1;
    this.seq++;
    if (this.listeners.size === 0) return;
    const stamped = { ...ev, seq: this.seq, at: ev.at ?? Date.now() } as StampedEvent;
    for (const l of this.listeners) l(stamped);
  }

  subscribe(l: EventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
