// AgencyGroup: supervises the agencies of one process or topology (main thread). It spawns one
// AgencyClient per agency, shows progress (a bar per agency on an interactive terminal, IPC
// messages to a parent `lottery run`, or nothing), forwards SIGTERM, and reports the outcome.

import { createRequire } from 'node:module';
import type cliProgressTypes from 'cli-progress';
import type { ActorRef } from '../../runtime/actor/types.ts';
import { defineActor } from '../../runtime/actor/behavior.ts'; // not runtime/index.ts: agency start-up
import { AgencyClient, type AgencyGo, type AgencyMsg, type AgencyNotice } from './agency.ts';
import type { ClientSettings } from './config.ts';
import { setThreadSink, writeLine } from './tp0log.ts';

/** `sink`: to the thread's progress sink (setProgressSink; `lottery run`'s bars, agencies in its process). */
export type ProgressMode = 'none' | 'ipc' | 'bar' | 'sink';

let progressSink: ((id: number, pct: number, bets: number) => void) | null = null;

/** Where this thread's AgencyGroups with progress `sink` report. */
export function setProgressSink(fn: ((id: number, pct: number, bets: number) => void) | null): void {
  progressSink = fn;
}

type CliProgress = typeof cliProgressTypes;
/** Loaded only for bars on a terminal (fast start of the non-interactive agency processes). */
const loadCliProgress = (): CliProgress => createRequire(import.meta.url)('cli-progress') as CliProgress;

export interface AgencyGroupProps {
  clients: ClientSettings[];
  placement: 'main' | 'any';
  progress: ProgressMode;
  /** Write `clientN exited with code <n>` on stdout when each agency finishes (shared agency process). */
  exitLines?: boolean;
  /** The agencies wait for the go (`lottery run`: spawned while its server starts; agency.ts). */
  held?: boolean;
}

export type AgencyGroupMsg =
  | AgencyNotice
  | { t: 'terminate' }
  /** Held agencies start, with these settings (the server's address now known). */
  | { t: 'go'; clients: ClientSettings[] };

export interface GroupOutcome {
  codes: Record<number, number>;
  winners: Record<number, number | null>;
  /** 0 when every agency finished (or stopped on a signal) cleanly. */
  code: number;
}

const outcomes = new Map<string, { promise: Promise<GroupOutcome>; resolve: (o: GroupOutcome) => void }>();

function slot(path: string): { promise: Promise<GroupOutcome>; resolve: (o: GroupOutcome) => void } {
  let s = outcomes.get(path);
  if (!s) {
    let resolve!: (o: GroupOutcome) => void;
    const promise = new Promise<GroupOutcome>((r) => (resolve = r));
    s = { promise, resolve };
    outcomes.set(path, s);
  }
  return s;
}

/** Resolves when every agency of the group at `path` (on this thread) has finished. */
export function groupOutcome(path: string): Promise<GroupOutcome> {
  return slot(path).promise;
}

export const AgencyGroup = defineActor<AgencyGroupMsg, AgencyGroupProps>(
  import.meta.url,
  'AgencyGroup',
  (props, ctx) => {
    const refs = new Map<number, ActorRef<AgencyMsg | AgencyGo>>();
    const codes: Record<number, number> = {};
    const winners: Record<number, number | null> = {};
    let bars: cliProgressTypes.MultiBar | null = null;
    const bar = new Map<number, cliProgressTypes.SingleBar>();
    let reported = false;

    function report(): void {
      if (reported || Object.keys(codes).length < props.clients.length) return;
      reported = true;
      if (bars) {
        bars.stop();
        setThreadSink(null);
      }
      const code = Object.values(codes).some((c) => c !== 0) ? 1 : 0;
      slot(ctx.path).resolve({ codes, winners, code });
    }

    return {
      started() {
        if (props.progress === 'bar' && props.clients.length > 0) {
          const cliProgress = loadCliProgress();
          bars = new cliProgress.MultiBar(
            { stream: process.stderr, format: ' {agency} [{bar}] {percentage}% | {bets} bets', hideCursor: true, clearOnComplete: false, noTTYOutput: false },
            cliProgress.Presets.shades_classic,
          );
          const b = bars;
          setThreadSink((line) => b.log(line));
          for (const c of props.clients) bar.set(c.id, b.create(100, 0, { agency: `agency ${c.id}`, bets: 0 }));
        }
        for (const c of props.clients) {
          refs.set(c.id, ctx.spawn(AgencyClient, { name: `agency-${c.id}`, thread: props.placement, props: { settings: c, held: props.held === true, notify: { path: ctx.path, thread: ctx.thread }, progress: props.progress !== 'none' } }));
        }
        report();
      },
      receive(msg) {
        switch (msg.t) {
          case 'progress': {
            const pct = msg.total > 0 ? Math.min(100, Math.round((100 * msg.bytes) / msg.total)) : 0;
            bar.get(msg.id)?.update(pct, { bets: msg.bets });
            if (props.progress === 'sink') progressSink?.(msg.id, pct, msg.bets);
            if (props.progress === 'ipc' && process.send && process.connected) process.send({ t: 'progress', id: msg.id, pct, bets: msg.bets }, undefined, {}, () => {});
            return;
          }
          case 'agency-done':
            // Agencies sharing one process under `lottery run`: the exit line the launcher writes for
            // a process of its own, written here in order after the agency's last line.
            if (props.exitLines) writeLine(`client${msg.id} exited with code ${msg.code}\n`);
            codes[msg.id] = msg.code;
            winners[msg.id] = msg.winners;
            if (msg.code === 0) bar.get(msg.id)?.update(100);
            report();
            return;
          case 'terminate':
            for (const [id, r] of refs) if (codes[id] === undefined) r.tell({ type: 'terminate' });
            return;
          case 'go':
            for (const c of msg.clients) refs.get(c.id)?.tell({ type: 'go', settings: c });
            return;
        }
      },
      terminated() {},
      stopped() {
        if (bars) {
          bars.stop();
          setThreadSink(null);
        }
      },
    };
  },
  // An agency that crashes is restarted (it resends from the start of its file only in the
  // unlikely case of a bug; the supervisor gives up after 3 tries and the group reports failure).
  { supervisor: { strategy: 'one-for-one', maxRestarts: 3, withinMs: 60_000 } },
);
