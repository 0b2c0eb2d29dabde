// The live stream behind the page: one model of the system while at least one page is open,
// a tick per second computed once and sent to every page, and the caps on what a page can make
// the runtime send (request rate, resyncs, detail sizes, a slow reader's buffer, page count).

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Logger } from '../actor/types.ts';
import type { ViewSource } from './source.ts';
import { LiveModel, type ModelCaps } from './model.ts';
import { DEFAULT_PANEL_CAPS } from './panels.ts';

export interface ViewCaps extends ModelCaps {
  /** Largest message a page may send (bytes). */
  maxPayload: number;
  /** Pages at once. */
  maxClients: number;
  /** Requests per second a page may make (burst: twice that). */
  requestsPerSecond: number;
  /** A page asks for the whole state again at most this often. */
  resyncEveryMs: number;
  /** Largest `details` answer (bytes of JSON). */
  detailsBytes: number;
  /** Unsent bytes queued for one page before its ticks are skipped. */
  sendBufferBytes: number;
  /** A page that stays over its buffer this long is closed. */
  slowCloseMs: number;
  authTimeoutMs: number;
}

export const DEFAULT_CAPS: ViewCaps = {
  maxActors: 50_000,
  feedPerTick: 100,
  feedHistory: 200,
  panels: DEFAULT_PANEL_CAPS,
  maxPayload: 4096,
  maxClients: 16,
  requestsPerSecond: 20,
  resyncEveryMs: 5000,
  detailsBytes: 64 * 1024,
  sendBufferBytes: 4 * 1024 * 1024,
  slowCloseMs: 10_000,
  authTimeoutMs: 5000,
};

export interface HubOptions {
  source: ViewSource;
  secret: string | null;
  log: Logger;
  tickMs: number;
  /** The least time between two snapshots (they also wait 100x their own duration). */
  snapshotMs: number;
  caps: ViewCaps;
}

interface Client {
  ws: WebSocket;
  peer: string;
  authed: boolean;
  nonce: string;
  needsFull: boolean;
  lastResync: number;
  tokens: number;
  tokensAt: number;
  slowSince: number;
  authTimer: NodeJS.Timeout | null;
}

export interface HubStats {
  clients: number;
  attached: boolean;
  actors: number;
  ticks: number;
  skippedTicks: number;
  bytesSent: number;
  closedSlow: number;
  refusedAuth: number;
  /** Replies and ticks not sent because the page's buffer was over the cap. */
  dropped: number;
  /** The most bytes ever queued for one page. */
  maxBuffered: number;
}

export function proofFor(secret: string, nonce: string): string {
  return createHmac('sha256', secret).update(nonce).digest('hex');
}

export class ViewHub {
  private clients = new Set<Client>();
  private model: LiveModel | null = null;
  private unsubscribe: (() => void) | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private snapTimer: NodeJS.Timeout | null = null;
  private readonly o: HubOptions;
  private counters = { ticks: 0, skippedTicks: 0, bytesSent: 0, closedSlow: 0, refusedAuth: 0, dropped: 0, maxBuffered: 0 };

  constructor(o: HubOptions) {
    this.o = o;
  }

  get size(): number {
    return this.clients.size;
  }

  stats(): HubStats {
    return { clients: this.clients.size, attached: this.model !== null, actors: this.model?.actorCount ?? 0, ...this.counters };
  }

  add(ws: WebSocket, peer: string): void {
    const c: Client = { ws, peer, authed: false, nonce: '', needsFull: true, lastResync: 0, tokens: 0, tokensAt: Date.now(), slowSince: 0, authTimer: null };
    c.tokens = this.o.caps.requestsPerSecond * 2;
    this.clients.add(c);
    ws.on('message', (data, isBinary) => this.onMessage(c, isBinary ? null : data.toString()));
    ws.on('close', () => this.remove(c));
    ws.on('error', () => this.remove(c));
    if (this.o.secret) {
      c.nonce = randomBytes(32).toString('hex');
      this.send(c, { type: 'challenge', nonce: c.nonce });
      c.authTimer = setTimeout(() => this.refuse(c, 'no authentication in time'), this.o.caps.authTimeoutMs);
    } else this.admit(c);
  }

  private admit(c: Client): void {
    c.authed = true;
    if (c.authTimer) clearTimeout(c.authTimer);
    c.authTimer = null;
    this.send(c, { type: 'hello', source: this.o.source.describe(), tickMs: this.o.tickMs, caps: { maxPayload: this.o.caps.maxPayload, requestsPerSecond: this.o.caps.requestsPerSecond, resyncEveryMs: this.o.caps.resyncEveryMs } });
    this.o.log.info('view page attached', { peer: c.peer, pages: this.clients.size });
    if (!this.model) this.attach();
    else if (this.model.ready) this.sendFull(c);
  }

  private refuse(c: Client, reason: string): void {
    this.counters.refusedAuth++;
    this.o.log.warn('view client refused', { peer: c.peer, reason });
    this.send(c, { type: 'error', message: `refused: ${reason}` });
    c.ws.close(1008, reason.slice(0, 100));
    this.remove(c);
  }

  private remove(c: Client): void {
    if (!this.clients.delete(c)) return;
    if (c.authTimer) clearTimeout(c.authTimer);
    if (c.authed) this.o.log.info('view page left', { peer: c.peer, pages: this.clients.size });
    if (![...this.clients].some((x) => x.authed)) this.detach();
  }

  /** Starts following the system (first page in). */
  private attach(): void {
    const model = new LiveModel(this.o.caps);
    this.model = model;
    let faults = 0;
    this.unsubscribe = this.o.source.subscribe(
      (ev) => {
        // The listener runs inside the kernel's publish: a fault here must never reach it.
        try {
          model.applyEvent(ev);
        } catch (err) {
          if (faults++ === 0) this.o.log.error('view model failed on an event', { type: ev.type, error: String(err) });
        }
      },
      (why) => this.closeAll(1011, why),
    );
    let taken = 0;
    const snap = async (): Promise<void> => {
      if (this.model !== model) return;
      const t0 = Date.now();
      try {
        model.applySnapshot(await this.o.source.snapshot(), t0);
      } catch (err) {
        this.o.log.warn('view snapshot failed', { error: (err as Error).message });
      }
      if (this.model !== model) return;
      const took = Date.now() - t0;
      // A snapshot costs the system (every actor described, cloned across threads, applied here):
      // wait 100 times what it took, so that it stays near 1% of the time (10,000 actors: ~2 s),
      // but never more than 5 s. The first one is cold (code not yet optimised): not a measure.
      const wait = taken++ === 0 ? this.o.snapshotMs : Math.min(5000, Math.max(this.o.snapshotMs, took * 100));
      this.snapTimer = setTimeout(() => void snap(), wait);
      this.snapTimer.unref();
    };
    void snap();
    this.tickTimer = setInterval(() => this.tick(), this.o.tickMs);
    this.tickTimer.unref();
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.snapTimer) clearTimeout(this.snapTimer);
    this.tickTimer = this.snapTimer = null;
    this.model = null;
  }

  private tick(): void {
    const model = this.model;
    if (!model?.ready) return;
    const text = JSON.stringify(model.tick());
    this.counters.ticks++;
    const now = Date.now();
    for (const c of this.clients) {
      if (!c.authed) continue;
      if (c.ws.bufferedAmount > this.o.caps.sendBufferBytes) {
        // A slow page: skip its ticks (it gets the whole state once it catches up), then close it.
        this.counters.skippedTicks++;
        c.needsFull = true;
        c.slowSince ||= now;
        if (now - c.slowSince > this.o.caps.slowCloseMs) {
          this.counters.closedSlow++;
          this.o.log.warn('view page too slow: closed', { peer: c.peer, buffered: c.ws.bufferedAmount });
          c.ws.terminate();
          this.remove(c);
        }
        continue;
      }
      c.slowSince = 0;
      if (c.needsFull) this.sendFull(c);
      else this.sendText(c, text);
    }
  }

  private sendFull(c: Client): void {
    if (!this.model?.ready) return;
    c.needsFull = false;
    this.send(c, this.model.full());
  }

  private send(c: Client, obj: object): void {
    this.sendText(c, JSON.stringify(obj));
  }

  /** Nothing more is queued for a page already over its buffer cap (the tick check closes it). */
  private sendText(c: Client, text: string): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    if (c.ws.bufferedAmount > this.o.caps.sendBufferBytes) {
      this.counters.dropped++;
      c.needsFull = c.authed;
      return;
    }
    this.counters.bytesSent += text.length;
    c.ws.send(text);
    if (c.ws.bufferedAmount > this.counters.maxBuffered) this.counters.maxBuffered = c.ws.bufferedAmount;
  }

  private onMessage(c: Client, text: string | null): void {
    const now = Date.now();
    const rate = this.o.caps.requestsPerSecond;
    c.tokens = Math.min(rate * 2, c.tokens + ((now - c.tokensAt) * rate) / 1000);
    c.tokensAt = now;
    if (c.tokens < 1) {
      this.o.log.warn('view page over its request rate: closed', { peer: c.peer });
      c.ws.close(1008, `more than ${rate} requests/s`);
      this.remove(c);
      return;
    }
    c.tokens--;
    let req: { op?: unknown; proof?: unknown; path?: unknown };
    try {
      if (text === null) throw new Error('binary');
      req = JSON.parse(text);
      if (typeof req !== 'object' || req === null) throw new Error('not an object');
    } catch {
      if (!c.authed) return this.refuse(c, 'the first message is not an authentication');
      return this.send(c, { type: 'error', message: 'a request must be a JSON object with an "op"' });
    }
    if (!c.authed) {
      if (req.op !== 'auth' || typeof req.proof !== 'string') return this.refuse(c, 'the first message is not an authentication');
      const want = Buffer.from(proofFor(this.o.secret!, c.nonce));
      const got = Buffer.from(req.proof);
      if (got.length !== want.length || !timingSafeEqual(got, want)) return this.refuse(c, 'wrong secret');
      return this.admit(c);
    }
    switch (req.op) {
      case 'resync':
        if (now - c.lastResync < this.o.caps.resyncEveryMs) return this.send(c, { type: 'error', message: `resync refused: at most one every ${this.o.caps.resyncEveryMs} ms` });
        c.lastResync = now;
        c.needsFull = true;
        return this.sendFull(c);
      case 'details': {
        if (typeof req.path !== 'string') return this.send(c, { type: 'error', message: 'details needs a "path" string' });
        let json = JSON.stringify(this.model?.detailsOf(req.path) ?? null);
        if (json.length > this.o.caps.detailsBytes) json = JSON.stringify({ truncated: `${json.length} bytes, over the ${this.o.caps.detailsBytes}-byte cap` });
        return this.sendText(c, `{"type":"details","path":${JSON.stringify(req.path.slice(0, 1000))},"info":${json}}`);
      }
      case 'auth':
        return;
      default:
        return this.send(c, { type: 'error', message: `unknown op ${JSON.stringify(String(req.op).slice(0, 40))} (expected resync or details)` });
    }
  }

  closeAll(code: number, why: string): void {
    for (const c of [...this.clients]) {
      this.send(c, { type: 'error', message: why });
      c.ws.close(code, why.slice(0, 100));
      this.remove(c);
    }
    this.detach();
  }
}
