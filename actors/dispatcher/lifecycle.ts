// The connection lifecycle of dispatcher.md §5.4 as an xstate machine. Only lifecycle events go
// through it (EOF, drain, eviction, framing error, deadlines, socket close); the per-request path
// (frames, replies) stays in plain code, and `open`'s idle/busy and reading/paused sub-states are
// derived from the in-flight count and the socket's flow state (see connection.ts).

import { setup } from 'xstate';

/** What the machine asks of its connection. */
export interface LifecycleHost {
  /** Requests in flight, or complete frames still waiting for a seq. */
  hasPending(): boolean;
  /** Stop reading the socket; bytes that do not yet form a frame are discarded. */
  stopReading(): void;
  /** A framing error: flush earlier replies for at most 1 s. */
  armFlushDeadline(): void;
  /** Flush the write buffer and end the socket (or destroy it after an eviction). */
  beginClose(): void;
  /** Free the slot, stop the actor. */
  release(): void;
  /** Evicted: close without writing anything more. */
  destroy(): void;
}

export type LifecycleEvent =
  | { type: 'PEER_EOF' }
  | { type: 'DRAIN' }
  | { type: 'FRAMING_ERROR' }
  | { type: 'IDLE_TIMEOUT' }
  | { type: 'EVICT' }
  | { type: 'ALL_WRITTEN' }
  | { type: 'DEADLINE' }
  | { type: 'FLUSH_TIMEOUT' }
  | { type: 'CLOSE_TIMEOUT' }
  | { type: 'SOCKET_ERROR' }
  | { type: 'SOCKET_CLOSED' };

export type LifecyclePhase = 'open' | 'draining' | 'closing' | 'closed';

export const connectionLifecycle = setup({
  types: {
    context: {} as { host: LifecycleHost },
    input: {} as { host: LifecycleHost },
    events: {} as LifecycleEvent,
  },
  guards: {
    pending: ({ context }) => context.host.hasPending(),
    quiet: ({ context }) => !context.host.hasPending(),
  },
  actions: {
    stopReading: ({ context }) => context.host.stopReading(),
    armFlush: ({ context }) => context.host.armFlushDeadline(),
    beginClose: ({ context }) => context.host.beginClose(),
    release: ({ context }) => context.host.release(),
    destroy: ({ context }) => context.host.destroy(),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({ host: input.host }),
  initial: 'open',
  states: {
    /** idle (nothing in flight) or busy (in flight; reading or paused): derived, see above. */
    open: {
      on: {
        PEER_EOF: [{ guard: 'pending', target: 'draining' }, { target: 'closing' }],
        DRAIN: [
          { guard: 'pending', target: 'draining', actions: 'stopReading' },
          { target: 'closing', actions: 'stopReading' },
        ],
        FRAMING_ERROR: [
          { guard: 'pending', target: 'draining', actions: ['stopReading', 'armFlush'] },
          { target: 'closing', actions: 'stopReading' },
        ],
        IDLE_TIMEOUT: { guard: 'quiet', target: 'closing' },
        DEADLINE: { target: 'closing', actions: 'stopReading' },
        EVICT: { target: 'closing', actions: 'destroy' },
        SOCKET_ERROR: 'closed',
        SOCKET_CLOSED: 'closed',
      },
    },
    /** Not reading; replies still pending. */
    draining: {
      on: {
        ALL_WRITTEN: 'closing',
        DEADLINE: 'closing',
        FLUSH_TIMEOUT: 'closing',
        DRAIN: { actions: 'stopReading' },
        EVICT: { target: 'closing', actions: 'destroy' },
        SOCKET_ERROR: 'closed',
        SOCKET_CLOSED: 'closed',
      },
    },
    /** Flush the write buffer, end the socket. */
    closing: {
      entry: 'beginClose',
      on: {
        EVICT: { actions: 'destroy' },
        CLOSE_TIMEOUT: 'closed',
        SOCKET_ERROR: 'closed',
        SOCKET_CLOSED: 'closed',
      },
    },
    /** Slot freed (gen++), load decremented, late replies dropped. */
    closed: { type: 'final', entry: 'release' },
  },
});
