// I/O rounds: work that connections request while the event loop polls runs together, once per
// loop iteration (the check phase, right after the poll that delivered the bytes), in ascending
// priority and FIFO among equals. This is the "one round per poll iteration, sorted by priority"
// order of an upstream poll loop, for real sockets: a connection at priority 50 that has bytes
// in the same iteration as one at 200 is handled first, whatever order the sockets became ready.
// One scheduler per thread (module state); a task that throws affects only itself.

export type RoundTask = () => void;

interface Entry {
  priority: number;
  seq: number;
  run: RoundTask;
}

let pending: Entry[] = [];
let seq = 0;
let armed = false;
let onError: (err: unknown) => void = (err) => queueMicrotask(() => {
  throw err;
});

/** Runs `task` in the next round, ordered by `priority` (lower first, FIFO among equals). */
export function inNextRound(priority: number, task: RoundTask): void {
  pending.push({ priority, seq: seq++, run: task });
  if (armed) return;
  armed = true;
  setImmediate(runRound);
}

/** Where a round task's exception goes (default: rethrown outside the round). */
export function setRoundErrorHandler(fn: (err: unknown) => void): void {
  onError = fn;
}

function runRound(): void {
  armed = false;
  const batch = pending;
  pending = [];
  batch.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
  // Tasks requested during this round (a connection with more queued) go to the next one.
  for (const e of batch) {
    try {
      e.run();
    } catch (err) {
      onError(err);
    }
  }
}
