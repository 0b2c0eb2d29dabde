// What the live view watches: a system in this process, or one reached through its control socket
// (`actor-runtime view`). Both give the same two things: snapshots and the ordered event stream.

import net from 'node:net';
import type { ActorSystem, SystemSnapshot } from '../kernel/system.ts';
import type { StampedEvent } from '../inspection/events.ts';
import { readJsonLines } from '../inspection/control.ts';
import type { Inspector } from '../nodes/inspect-client.ts';

export interface ViewSource {
  /** Shown in the page's title bar. */
  describe(): string;
  snapshot(): Promise<SystemSnapshot>;
  /** Follows the event stream; `onEnd` runs if the stream ends on its own (the system stopped). */
  subscribe(onEvent: (ev: StampedEvent) => void, onEnd: (why: string) => void): () => void;
}

export function systemSource(system: ActorSystem): ViewSource {
  return {
    describe: () => `${system.name} (pid ${process.pid})`,
    snapshot: () => system.snapshot(),
    subscribe: (onEvent) => system.events.subscribe(onEvent),
  };
}

/** Newline-delimited JSON over the control socket (see runtime/inspection/control.ts). */
export function controlSource(path: string, timeoutMs = 5000): ViewSource {
  return {
    describe: () => path,
    snapshot: () =>
      new Promise((resolve, reject) => {
        const sock = net.connect(path);
        const timer = setTimeout(() => (sock.destroy(), reject(new Error(`no snapshot from ${path} in ${timeoutMs} ms`))), timeoutMs);
        readJsonLines(sock, (reply) => {
          clearTimeout(timer);
          sock.end();
          if (reply.ok) resolve(reply.snapshot as SystemSnapshot);
          else reject(new Error(String(reply.error)));
        });
        sock.on('connect', () => sock.write('{"op":"snapshot"}\n'));
        sock.on('error', (err) => (clearTimeout(timer), reject(new Error(`cannot reach the system at ${path}: ${err.message}`))));
      }),
    subscribe(onEvent, onEnd) {
      const sock = net.connect(path);
      let ended = false;
      readJsonLines(sock, (reply) => {
        if (reply.ok && reply.event) onEvent(reply.event as StampedEvent);
      });
      sock.on('connect', () => sock.write('{"op":"events"}\n'));
      const end = (why: string): void => {
        if (!ended) (ended = true), onEnd(why);
      };
      sock.on('error', (err) => end(`the control socket failed: ${err.message}`));
      sock.on('close', () => end('the system closed its control socket'));
      return () => {
        ended = true;
        sock.destroy();
      };
    },
  };
}

/**
 * A remote node over authenticated inspector links (`view --node`): snapshots on one link, each
 * event subscription on a link of its own, opened by `open` (runtime/nodes/inspect-client.ts).
 */
export function nodeSource(url: string, snapshots: Inspector, open: () => Promise<Inspector>): ViewSource {
  return {
    describe: () => url,
    snapshot: () => snapshots.snapshot(),
    subscribe(onEvent, onEnd) {
      let live: Inspector | null = null;
      let ended = false;
      const end = (why: string): void => {
        if (!ended) (ended = true), onEnd(why);
      };
      open().then(
        (ins) => {
          if (ended) return ins.close();
          live = ins;
          ins.events(onEvent).then(
            () => end('the node closed the link'),
            (err: Error) => end(`the node link failed: ${err.message}`),
          );
        },
        (err: Error) => end(`cannot attach to ${url}: ${err.message}`),
      );
      return () => {
        ended = true;
        live?.close();
      };
    },
  };
}
