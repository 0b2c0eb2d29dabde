// The remaining connection kinds of eventdispatcher.md §3.1, each an actor that reports to its
// parent (LinkReport-like messages):
//   TimerConnection      a pure timeout: periodic on a fixed grid or a one-shot date (§3.5);
//                        disabled = no timeouts, and one overdue tick after re-enable
//   FifoConnection       a named pipe read as a message stream; writers may come and go
//   FileWatchConnection  changes under a path, with the §3.1 mask values (file-masks.ts,
//                        file-watch.ts: inotifywait, or fs.watch when it is not installed)
//   ThreadDoneConnection fires once when a worker thread it started ends
// Inter-thread messages are the kernel's own `tell` between actors on different threads.

import { Worker } from 'node:worker_threads';
import { defineActor, type ActorRef } from '../../runtime/index.ts';
import { ensureFifo, openFifoReader } from '../../runtime/io/index.ts';
import { realClock } from './clock.ts';
import { FILE_EVENT, FS_WATCH_BLIND, reportable } from './file-masks.ts';
import { existingEntries, findInotifywait, watchWithFs, watchWithInotify, type Watch, type WatchSink } from './file-watch.ts';
import type { LinkReport } from './links.ts';
import { MessageStream } from './message-stream.ts';
import { ConnectionTimer } from './timer.ts';

export type KindReport =
  | LinkReport
  | { t: 'ed-timeout'; id: string; kind: 'date' | 'delay'; atUs: number }
  | { t: 'ed-file'; id: string; path: string; mask: number; filename: string }
  | { t: 'ed-file-ready'; id: string; backend: 'inotify' | 'fs.watch' }
  | { t: 'ed-thread-done'; id: string; code: number };

// ---- timer -------------------------------------------------------------------------------

export interface TimerProps {
  id: string;
  /** 0: one-shot on the first round; -1: none; > 0: periodic (µs, at least 10). */
  timeoutUs: number;
}

export type TimerMsg = { t: 'wake' } | { t: 'set-delay'; us: number } | { t: 'set-date'; us: number } | { t: 'enable'; on: boolean };

export const TimerConnection = defineActor<TimerMsg, TimerProps>(import.meta.url, 'TimerConnection', (props, ctx) => {
  const timer = ConnectionTimer.create(props.timeoutUs, realClock.nowUs());
  const parent = ctx.parent as ActorRef<KindReport>;
  let enabled = true;
  const arm = (): void => {
    const due = timer.deadline();
    if (!enabled || due === -1) return ctx.timers.cancel('wake');
    ctx.timers.once('wake', Math.max(0, Math.ceil((due - realClock.nowUs()) / 1000)), { t: 'wake' });
  };
  return {
    started: arm,
    receive(msg) {
      if (msg.t === 'wake') {
        if (!enabled) return;
        const now = realClock.nowUs();
        const kind = timer.fire(now);
        if (kind !== null) parent.tell({ t: 'ed-timeout', id: props.id, kind, atUs: now });
      } else if (msg.t === 'set-delay') timer.setTimeoutDelay(msg.us, realClock.nowUs());
      else if (msg.t === 'set-date') timer.setTimeoutDate(msg.us);
      else enabled = msg.on;
      arm();
    },
  };
});

// ---- FIFO --------------------------------------------------------------------------------

export interface FifoProps {
  id: string;
  path: string;
  /** Create the FIFO (mkfifo) when it does not exist. */
  create?: boolean;
}

/**
 * Opened read-write and non-blocking, so the open never waits for a writer and a writer closing
 * is not the end: the next writer's messages arrive on the same connection.
 */
export const FifoConnection = defineActor<never, FifoProps>(import.meta.url, 'FifoConnection', (props, ctx) => {
  let stream: MessageStream | null = null;
  const parent = ctx.parent as ActorRef<KindReport>;
  return {
    started() {
      ensureFifo(props.path, props.create ?? false);
      const socket = openFifoReader(props.path);
      stream = new MessageStream(socket, {
        log: ctx.log,
        label: `fifo ${props.path}`,
        message: (m) => parent.tell({ t: 'ed-msg', id: props.id, fields: m.toFields(false) }),
        closed: () => {
          parent.tell({ t: 'ed-closed', id: props.id });
          ctx.stop();
        },
      });
    },
    receive() {},
    stopped() {
      stream?.conn.destroy();
    },
    inspect: () => ({ fifo: props.path, received: stream?.received ?? 0, rejected: stream?.rejected ?? 0 }),
  };
});

// ---- file change -------------------------------------------------------------------------

export { FILE_EVENT } from './file-masks.ts';

export interface FileWatchProps {
  id: string;
  path: string;
  /** Events wanted (FILE_EVENT bits); default CREATED | DELETED | WRITE. LOST_SYNC, ERROR, GONE and UNMOUNTED always come. */
  mask?: number;
  /** 'auto' (default): inotify when inotifywait is installed, else fs.watch (file-watch.ts). */
  backend?: 'auto' | 'inotify' | 'fs.watch';
}

/**
 * Reports `ed-file` with the §3.1 masks (file-masks.ts), after `ed-file-ready` (the watch is in
 * place, EXISTS events already sent). A failed watch is one ERROR event and a one-line log.
 */
export const FileWatchConnection = defineActor<never, FileWatchProps>(import.meta.url, 'FileWatchConnection', (props, ctx) => {
  let w: Watch | null = null;
  const parent = ctx.parent as ActorRef<KindReport>;
  const wanted = props.mask ?? FILE_EVENT.CREATED | FILE_EVENT.DELETED | FILE_EVENT.WRITE;
  const report = (mask: number, filename: string): void => {
    const m = reportable(mask, wanted);
    if (m !== 0) parent.tell({ t: 'ed-file', id: props.id, path: props.path, mask: m, filename });
  };
  return {
    started() {
      const backend = props.backend ?? 'auto';
      const useInotify = backend === 'inotify' || (backend === 'auto' && findInotifywait() !== null);
      if (!useInotify && (wanted & FS_WATCH_BLIND) !== 0) {
        ctx.log.warn('file watch: fs.watch cannot report READ, ACCESS, UPDATED, LOST_SYNC or UNMOUNTED; install inotify-tools for them', { path: props.path });
      }
      const sink: WatchSink = {
        event: report,
        ready: () => {
          if ((wanted & FILE_EVENT.EXISTS) !== 0) {
            for (const e of existingEntries(props.path, (wanted & FILE_EVENT.RECURSIVE) !== 0)) report(FILE_EVENT.EXISTS | (e.dir ? FILE_EVENT.DIRECTORY : 0), e.filename);
          }
          parent.tell({ t: 'ed-file-ready', id: props.id, backend: w?.backend ?? (useInotify ? 'inotify' : 'fs.watch') });
        },
        error: (message) => {
          ctx.log.error(message, { path: props.path });
          report(FILE_EVENT.ERROR, '');
        },
      };
      w = useInotify ? watchWithInotify(props.path, wanted, sink) : watchWithFs(props.path, wanted, sink);
    },
    receive() {},
    stopped() {
      w?.stop();
    },
    inspect: () => ({ path: props.path, mask: wanted, backend: w?.backend ?? null }),
  };
});

// ---- thread done -------------------------------------------------------------------------

export interface ThreadDoneProps {
  id: string;
  /** Module run by the worker thread (file URL or path). */
  module: string;
  workerData?: unknown;
}

export const ThreadDoneConnection = defineActor<never, ThreadDoneProps>(import.meta.url, 'ThreadDoneConnection', (props, ctx) => {
  let worker: Worker | null = null;
  let done = false;
  const parent = ctx.parent as ActorRef<KindReport>;
  return {
    started() {
      worker = new Worker(props.module.startsWith('file:') ? new URL(props.module) : props.module, { workerData: props.workerData });
      worker.on('error', (err) => ctx.log.error('thread failed', { module: props.module, error: err.message }));
      worker.once('exit', (code) => {
        if (done) return;
        done = true;
        parent.tell({ t: 'ed-thread-done', id: props.id, code });
        ctx.stop();
      });
    },
    receive() {},
    stopped() {
      done = true;
      void worker?.terminate();
    },
  };
});
