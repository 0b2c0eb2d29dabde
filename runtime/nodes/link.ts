// One link to one peer node: the records gathered for it during a scheduler turn (sent as one
// binary frame by frames.ts), the state of its channel, heartbeats, backpressure from the
// socket's buffered bytes, and reconnection by the policy when this node is the one that dials.

import { encodeFrame, W_BEAT, W_MAIL, W_REPLY, W_RUN } from './codec.ts';
import { sendFrames, type Framing } from './frames.ts';
import type { FrameChannel } from './transport.ts';
import type { ReconnectPolicy } from '../io/reconnect.ts';
import type { Logger } from '../actor/types.ts';

export type LinkState = 'down' | 'connecting' | 'up';

export interface LinkOptions {
  heartbeatMs: number;
  /** No frame from the peer for this long: the link is dead. */
  downAfterMs: number;
  maxFrameBytes: number;
  /** Buffered bytes over which senders are held back (tell returns false, writable() waits). */
  highWaterBytes: number;
  /** Buffered bytes over which mail is refused (dead letters). */
  hardCapBytes: number;
  /** Messages gathered before a frame leaves early (bounds latency and frame size). */
  flushAt: number;
  /** Mail held while a connection attempt runs. */
  maxHeld: number;
  /** Nesting limit, to name what cannot cross when a frame fails to encode. */
  maxDepth: number;
}

export interface LinkEvents {
  /** `restarted`: the peer is another process than the one this link reached before. */
  up(link: Link, restarted: boolean): void;
  /** `deliberate`: this node or the peer stopped on purpose (not a lost link). */
  down(link: Link, why: string, deliberate: boolean): void;
  frame(link: Link, bytes: Uint8Array): void;
  /** Records that will never be sent (link lost, frame too large): dead letters, failed asks. */
  lost(link: Link, records: unknown[], why: string): void;
  unblocked(link: Link): void;
}

export class Link {
  readonly peer: string;
  /** An `inspect --node` client: inspection requests only, never mail. */
  readonly inspector: boolean;
  /** Where to dial the peer; null for a peer that only dials us. */
  url: string | null;
  state: LinkState = 'down';
  channel: FrameChannel | null = null;
  /** The peer process's incarnation: another one after a restart is a different node life. */
  incarnation = '';
  /** Whether the current channel was dialed by this node (decides between duplicate links). */
  dialedHere = false;
  blocked = false;
  upSince = 0;
  private everUp = false;
  private out: unknown[] = [];
  private messages = 0;
  private runAt = -1;
  private runTo = '';
  private runFrom: string | null = null;
  private flushScheduled = false;
  private lastSent = 0;
  private lastHeard = 0;
  /** A frame left / arrived since the last heartbeat tick: flags, not a clock read per frame. */
  private sentSinceTick = false;
  private heardSinceTick = false;
  private lastTick = 0;
  private beat: NodeJS.Timeout | null = null;
  private drainPoll: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private retryIndex: number;
  closed = false;
  private readonly o: LinkOptions;
  private readonly ev: LinkEvents;
  private readonly policy: ReconnectPolicy;
  private readonly connect: (link: Link) => Promise<void>;
  private readonly log: Logger;
  private readonly flushFn = (): void => this.flush();
  private readonly framing: Framing;

  constructor(
    peer: string,
    url: string | null,
    o: LinkOptions,
    policy: ReconnectPolicy,
    ev: LinkEvents,
    connect: (link: Link) => Promise<void>,
    log: Logger,
    inspector = false,
  ) {
    this.peer = peer;
    this.inspector = inspector;
    this.url = url;
    this.o = o;
    this.policy = policy;
    this.ev = ev;
    this.connect = connect;
    this.log = log;
    this.retryIndex = policy.restartIndex;
    this.framing = { peer, maxFrameBytes: o.maxFrameBytes, maxDepth: o.maxDepth, lost: (records, why) => ev.lost(this, records, why), log };
  }

  /** Whether mail pushed now can still leave (up, or held while connecting). */
  accepting(): boolean {
    if (this.state === 'up') return true;
    if (this.state === 'connecting') return this.messages < this.o.maxHeld;
    return false;
  }

  // ---- gathering -------------------------------------------------------------------------

  tell(to: string, toThread: number, msg: unknown, fromPath: string | null, fromThread: number): void {
    this.messages++;
    if (this.runAt >= 0 && this.runTo === to && this.runFrom === fromPath) {
      (this.out[this.runAt + 5] as unknown[]).push(msg);
    } else {
      this.runAt = this.out.length;
      this.runTo = to;
      this.runFrom = fromPath;
      this.out.push(W_RUN, to, toThread, fromPath, fromThread, [msg]);
    }
    this.pushed();
  }

  mail(to: string, toThread: number, msg: unknown, fromPath: string | null, fromThread: number, askId: number, priority: number): void {
    this.messages++;
    this.runAt = -1;
    this.out.push(W_MAIL, to, toThread, msg, fromPath, fromThread, askId, priority);
    this.pushed();
  }

  /** An ask's answer (the common record on an answering node: no rest-argument array). */
  reply(askId: number, ok: 0 | 1, value: unknown): void {
    this.messages++;
    this.runAt = -1;
    this.out.push(W_REPLY, askId, ok, value);
    this.pushed();
  }

  /** Any other record (reply, system message, inspection); `fields` follow the kind. */
  record(kind: number, ...fields: unknown[]): void {
    this.messages++;
    this.runAt = -1;
    this.out.push(kind, ...fields);
    this.pushed();
  }

  private pushed(): void {
    if (this.state !== 'up') return;
    if (this.messages >= this.o.flushAt) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushFn);
    }
  }

  private take(): unknown[] {
    const r = this.out;
    this.out = [];
    this.messages = 0;
    this.runAt = -1;
    return r;
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.messages === 0 || this.state !== 'up' || this.channel === null) return;
    const records = this.take();
    const ch = this.channel;
    if (ch.bufferedBytes() > this.o.hardCapBytes) {
      this.ev.lost(this, records, `link to ${this.peer} over its buffer cap (${this.o.hardCapBytes} bytes)`);
      return;
    }
    sendFrames(ch, records, this.framing);
    this.sentSinceTick = true;
    if (!this.blocked && ch.bufferedBytes() > this.o.highWaterBytes) this.block();
  }

  private block(): void {
    this.blocked = true;
    this.drainPoll = setInterval(() => {
      const ch = this.channel;
      if (ch !== null && this.state === 'up' && ch.bufferedBytes() > this.o.highWaterBytes / 2) return;
      this.unblock();
    }, 2);
  }

  private unblock(): void {
    if (this.drainPoll) clearInterval(this.drainPoll);
    this.drainPoll = null;
    if (!this.blocked) return;
    this.blocked = false;
    this.ev.unblocked(this);
  }

  // ---- channel life ------------------------------------------------------------------------

  /** An authenticated channel becomes this link's. */
  adopt(ch: FrameChannel, dialedHere: boolean, incarnation: string): void {
    this.cancelRetry();
    const restarted = this.everUp && this.incarnation !== incarnation;
    this.channel = ch;
    this.dialedHere = dialedHere;
    this.incarnation = incarnation;
    this.state = 'up';
    this.everUp = true;
    this.upSince = this.lastHeard = this.lastSent = this.lastTick = performance.now();
    this.retryIndex = this.policy.restartIndex;
    ch.onClose = (why, deliberate) => {
      if (this.channel === ch) this.lost(why, deliberate);
    };
    this.beat ??= setInterval(() => this.heartbeat(), this.o.heartbeatMs);
    this.beat.unref();
    // up first (a restarted peer's old node life ends), then the frames that arrived with the
    // handshake's last message are read
    this.ev.up(this, restarted);
    ch.onFrame = (data) => {
      this.heardSinceTick = true;
      if (typeof data === 'string') return ch.close('a text frame after the handshake');
      this.ev.frame(this, data);
    };
    if (this.messages > 0) this.flush();
  }

  private heartbeat(): void {
    const ch = this.channel;
    if (this.state !== 'up' || ch === null) return;
    const now = performance.now();
    // This process was paused (a long GC, SIGSTOP, a blocked loop): the silence is ours, not the
    // peer's, and its frames may be waiting in the socket. Give it a fresh window.
    if (now - this.lastTick > this.o.heartbeatMs * 3) this.lastHeard = now;
    this.lastTick = now;
    // Frames since the last tick count as heard / sent now (at most one heartbeat late).
    if (this.heardSinceTick) this.lastHeard = now;
    if (this.sentSinceTick) this.lastSent = now;
    this.heardSinceTick = this.sentSinceTick = false;
    if (now - this.lastHeard > this.o.downAfterMs) {
      this.log.warn('peer node silent; closing the link', { peer: this.peer, remote: ch.remote, silentMs: Math.round(now - this.lastHeard) });
      ch.close(`heartbeat timeout (nothing for ${Math.round(now - this.lastHeard)} ms)`);
      this.lost('heartbeat timeout');
      return;
    }
    if (now - this.lastSent >= this.o.heartbeatMs * 0.9) {
      ch.send(encodeFrame([W_BEAT]));
      this.lastSent = now;
    }
  }

  /** The channel is gone: what was not sent is lost, the peer is down, dial again if we dial. */
  lost(why: string, deliberate = false): void {
    if (this.state === 'down' && this.channel === null) return;
    const lived = this.state === 'up' ? performance.now() - this.upSince : 0;
    const wasUp = this.state === 'up';
    this.state = 'down';
    this.channel = null;
    if (this.beat) clearInterval(this.beat);
    this.beat = null;
    this.unblock();
    // down first: what was gathered and is lost is then judged knowing the peer may come back
    if (wasUp) this.ev.down(this, why, deliberate);
    if (this.messages > 0) this.ev.lost(this, this.take(), `node ${this.peer} is down (${why})`);
    if (this.url !== null && !this.closed) {
      const p = this.policy.pause(this.policy.restartIndex);
      // Reconnect at once unless the connection lived less than the pause in force.
      this.scheduleRetry(wasUp ? Math.max(0, (p?.ms ?? 0) - lived) : this.nextPause());
    }
  }

  /** How long until the peer is declared down: `downAfterMs` after it was last heard from. */
  downInMs(): number {
    const now = performance.now();
    return Math.max(0, (this.heardSinceTick ? now : this.lastHeard) + this.o.downAfterMs - now);
  }

  /**
   * First use: connect now (mail waits for the attempt) unless the link was up before; a link
   * that dropped follows the reconnect policy and mail meanwhile is refused as node-down.
   */
  dialNow(): void {
    if (this.state !== 'down' || this.url === null || this.closed || this.everUp) return;
    this.cancelRetry();
    this.attempt();
  }

  startDialing(): void {
    if (this.url === null || this.closed) return;
    this.scheduleRetry(this.policy.initialWaitMs);
  }

  private nextPause(): number | null {
    const p = this.policy.pause(this.retryIndex);
    if (p === null) return null;
    this.retryIndex = p.next;
    return p.ms;
  }

  private scheduleRetry(ms: number | null): void {
    this.cancelRetry();
    if (ms === null) {
      this.log.warn('giving up on peer node (the reconnect policy is exhausted)', { peer: this.peer, url: this.url });
      return;
    }
    this.retry = setTimeout(() => {
      this.retry = null;
      this.attempt();
    }, ms);
    this.retry.unref();
  }

  private cancelRetry(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  private attempt(): void {
    if (this.state !== 'down' || this.closed) return;
    this.state = 'connecting';
    this.connect(this).catch((err: Error) => {
      if (this.state !== 'connecting') return;
      this.state = 'down';
      if (err.message.includes('duplicate link')) {
        // The peer is dialing us at the same moment and its connection wins: keep the mail for it.
        if (!this.closed) this.scheduleRetry(this.nextPause());
        return;
      }
      this.log.info('cannot link to peer node', { peer: this.peer, url: this.url, reason: err.message });
      if (this.messages > 0) this.ev.lost(this, this.take(), `node ${this.peer} is unreachable (${err.message})`);
      if (!this.closed) this.scheduleRetry(this.nextPause());
    });
  }

  /** The node stops: no more retries; the channel closes. */
  close(why: string): void {
    this.closed = true;
    this.cancelRetry();
    const ch = this.channel;
    if (ch) {
      this.flush();
      ch.close(why, true);
    }
    this.lost(why, true);
  }
}
