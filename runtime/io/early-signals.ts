// SIGINT/SIGTERM that arrive while the program is still loading (before the command that handles
// them has installed its handler) would end the process by the signal. Imported first by the
// entry points: a signal caught here is handed to the first real handler that is installed (it is
// re-emitted to it), so a start-up that is interrupted still stops gracefully and exits 0. A
// signal nobody claims within UNCLAIMED_MS gets its default action (the process ends by it).
// A side-effect module on purpose: it must run before the other imports are evaluated.

import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
const UNCLAIMED_MS = 2000;
const caught: NodeJS.Signals[] = [];
const watching = new Set<NodeJS.Signals>();
let timer: NodeJS.Timeout | null = null;

function catcher(sig: NodeJS.Signals): void {
  if (process.listenerCount(sig) > 1) return; // a real handler has it already
  caught.push(sig);
  timer ??= setTimeout(giveUp, UNCLAIMED_MS);
}

function stopCatching(sig: NodeJS.Signals): void {
  if (!watching.delete(sig)) return;
  process.off(sig, catcher);
  if (watching.size === 0) process.off('newListener', onNewListener);
}

function onNewListener(event: string | symbol, listener: unknown): void {
  const sig = event as NodeJS.Signals;
  if (!watching.has(sig) || listener === catcher) return;
  // A real handler takes over once it is installed ('newListener' fires just before): then the
  // catcher leaves (not now: the signal's last listener leaving would reset it to its default)
  // and what it caught is delivered to the handler.
  setImmediate(() => {
    // Gone again (a listener added and removed at once): keep catching for the next one.
    if (!watching.has(sig) || process.listenerCount(sig) <= 1) return;
    stopCatching(sig);
    const pending = caught.filter((s) => s === sig).length;
    for (let i = caught.length - 1; i >= 0; i--) if (caught[i] === sig) caught.splice(i, 1);
    if (pending > 0) process.emit(sig, sig);
  });
}

function giveUp(): void {
  timer = null;
  const left = [...new Set(caught)];
  caught.length = 0;
  for (const sig of left) {
    stopCatching(sig);
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  }
}

if (isMainThread && watching.size === 0) {
  for (const sig of SIGNALS) {
    watching.add(sig);
    process.on(sig, catcher);
  }
  process.on('newListener', onNewListener);
  // Tests learn the moment signals are caught (Node's own start-up before it cannot be covered).
  const note = process.env.ACTOR_RUNTIME_SIGNALS_NOTE;
  if (note) writeFileSync(note, `${process.pid}\n`);
}

/** Whether signals are still being held for a handler to come (tests). */
export function holdingEarlySignals(): boolean {
  return watching.size > 0;
}
