// The acceptor processes of a multi-process lottery server, supervised by the kernel: each child
// process is owned by an AcceptorProcess actor, and a process that exits on its own (kill -9, a
// crash) makes its actor fail, so the AcceptorCluster's supervisor restarts it (a new process)
// with backoff, as it would any actor. More than MAX_RESTARTS within WINDOW_MS and the cluster
// gives up: `acceptorEvents` says so, and the launcher stops the server with exit 1.
//
//   /lottery-acceptors            AcceptorCluster (main thread)
//     process-0 … process-K-1     AcceptorProcess: one child process `acceptor-main.ts` each
//
// The actors live on the main thread (they own child processes), and so do the launcher's
// listeners on `acceptorEvents`.

import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { defineActor, type ActorRef, type Reply } from '../../../runtime/index.ts';
import { ACCEPTOR_ENTRY, acceptorEnv, type AcceptorLaunch } from './launch.ts';

const MAX_RESTARTS = 5;
const WINDOW_MS = 30_000;

/** `ready` {index, pid}, `exit` {index, pid, code, signal}, `gave-up` {reason}. */
export const acceptorEvents = new EventEmitter();

/** The per-run link secret, kept here on the main thread (never in props or messages). */
let secret: string | null = null;
export function setClusterSecret(s: string): void {
  secret = s;
}

export type AcceptorProcessMsg =
  | { t: 'child-ready'; pid: number }
  | { t: 'child-exit'; pid: number; code: number | null; signal: string | null }
  /** ask -> {}: SIGTERM the child (it drains), SIGKILL after deadlineMs; answered once it exited. */
  | { t: 'stop'; deadlineMs: number }
  | { t: 'kill-deadline' };

export const AcceptorProcess = defineActor<AcceptorProcessMsg, { launch: AcceptorLaunch }>(import.meta.url, 'AcceptorProcess', (props, ctx) => {
  const index = props.launch.index;
  let child: ChildProcess | null = null;
  let ready = false;
  let stopping = false;
  const stopReplies: Reply[] = [];

  function exited(): boolean {
    return child === null || child.exitCode !== null || child.signalCode !== null;
  }

  return {
    started() {
      if (secret === null) throw new Error('the cluster secret is not set');
      // In a process group of its own: a terminal's Ctrl-C reaches the server, which stops its
      // acceptors in order, and not the acceptors behind its back (an exit it would take for a crash).
      const c = spawn(process.execPath, [ACCEPTOR_ENTRY], { env: acceptorEnv(props.launch, secret), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
      child = c;
      const pid = c.pid ?? -1;
      c.on('message', (m: { t?: string }) => {
        if (m?.t === 'ready') ctx.self.tell({ t: 'child-ready', pid });
      });
      c.on('exit', (code, signal) => ctx.self.tell({ t: 'child-exit', pid, code, signal }));
      c.on('error', (err) => ctx.log.warn('acceptor process error', { index, error: err.message }));
      ctx.log.info('acceptor process started', { index, pid, restarts: ctx.restarts });
    },
    receive(msg) {
      switch (msg.t) {
        case 'child-ready':
          if (msg.pid !== child?.pid) return;
          ready = true;
          acceptorEvents.emit('ready', { index, pid: msg.pid });
          return;
        case 'child-exit': {
          if (msg.pid !== child?.pid) return;
          acceptorEvents.emit('exit', { index, pid: msg.pid, code: msg.code, signal: msg.signal });
          if (stopping) {
            ctx.timers.cancel('kill');
            for (const r of stopReplies.splice(0)) r.resolve({});
            return;
          }
          // Not asked to stop: the supervisor starts another process (with backoff).
          throw new Error(`acceptor process ${index} (pid ${msg.pid}) exited ${msg.signal ? `by ${msg.signal}` : `with code ${msg.code}`}`);
        }
        case 'stop': {
          stopping = true;
          const r = ctx.deferReply();
          if (exited()) return r?.resolve({});
          if (r) stopReplies.push(r);
          child!.kill('SIGTERM');
          ctx.timers.once('kill', msg.deadlineMs, { t: 'kill-deadline' });
          return;
        }
        case 'kill-deadline':
          if (!exited()) {
            ctx.log.warn('acceptor process did not stop in time; killed', { index, pid: child!.pid });
            child!.kill('SIGKILL');
          }
          return;
      }
    },
    stopped() {
      // A restart (the child is gone already) or a stop without the `stop` ask first.
      if (!exited()) child!.kill('SIGTERM');
    },
    inspect() {
      return { index, pid: child?.pid ?? null, ready, stopping };
    },
  };
});

export type AcceptorClusterMsg =
  /** ask -> {}: stop every acceptor process (each drains first). */
  { t: 'stop'; deadlineMs: number };

export const AcceptorCluster = defineActor<AcceptorClusterMsg, { launches: AcceptorLaunch[] }>(
  import.meta.url,
  'AcceptorCluster',
  (props, ctx) => {
    const children: ActorRef<AcceptorProcessMsg>[] = [];
    let gaveUp = false;
    return {
      started() {
        for (const launch of props.launches) children.push(ctx.spawn(AcceptorProcess, { name: `process-${launch.index}`, thread: 'main', props: { launch } }));
      },
      async receive(msg) {
        await Promise.allSettled(children.map((c) => c.ask({ t: 'stop', deadlineMs: msg.deadlineMs }, { timeoutMs: msg.deadlineMs + 2000 })));
        ctx.reply({});
      },
      decide(f) {
        if (f.failuresInWindow <= MAX_RESTARTS) return undefined; // restart, with the backoff
        if (!gaveUp) {
          gaveUp = true;
          acceptorEvents.emit('gave-up', { reason: `acceptor processes exited ${f.failuresInWindow} times within ${WINDOW_MS} ms; last: ${f.reason}` });
        }
        return 'stop';
      },
    };
  },
  { supervisor: { strategy: 'one-for-one', maxRestarts: MAX_RESTARTS, withinMs: WINDOW_MS, backoff: { minMs: 100, maxMs: 3000, jitter: 0.2 } } },
);
