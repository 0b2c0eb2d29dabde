// The dispatcher's actor module that runs on worker threads: its I/O actor, which imports the
// acceptor and spawns the rest of the subtree (queue, pool, groups and their connections) by
// reference after the bind. A light module of its own: `run` names it to the waiting worker threads
// as soon as a topology's keys are read (bin/subsystems.ts), before the main thread has loaded the
// subsystem itself. Only what comes before the bind is named, so a thread is ready that much sooner.
export const dispatcherWorkerModules: string[] = ['./io.ts'].map((f) => new URL(f, import.meta.url).href);
