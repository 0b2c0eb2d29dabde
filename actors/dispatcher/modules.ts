// The dispatcher's actor modules that run on worker threads (its I/O subtree). A light module of
// its own: `run` names them to the waiting worker threads as soon as a topology's keys are read
// (bin/subsystems.ts), before the main thread has loaded the subsystem itself.
export const dispatcherWorkerModules: string[] = ['./io.ts', './acceptor.ts', './group.ts', './connection.ts', './queue.ts', './worker.ts'].map(
  (f) => new URL(f, import.meta.url).href,
);
