// Mail for an actor that does not exist on this thread yet. A spawn travels from the parent's
// thread while a ref to the new actor may already have reached a third thread, whose mail can
// arrive first. Such mail waits here for a grace period, then becomes dead letters. Paths that
// stopped recently get no grace: their mail is dead at once.

import type { Ref } from '../actor/ref.ts';
import type { SysMsg } from './host.ts';

export type HeldItem =
  | { sys: null; msg: unknown; from: Ref<unknown> | null; askId: number; priority: number; fromThread: number }
  | { sys: SysMsg };

interface Held {
  since: number;
  items: HeldItem[];
}

export const GRACE_MS = 1000;
const MAX_HELD_PER_PATH = 10_000;
const RECENT_STOPS = 4096;

export class UnbornMail {
  private held = new Map<string, Held>();
  private recentlyStopped = new Map<string, number>();
  private sweeper: NodeJS.Timeout | null = null;
  private expire: (path: string, items: HeldItem[], why: string) => void;

  constructor(expire: (path: string, items: HeldItem[], why: string) => void) {
    this.expire = expire;
  }

  /** Keeps an item for `path`; returns false when it must be dead at once (recently stopped, or too many held). */
  hold(path: string, item: HeldItem): boolean {
    const stoppedAt = this.recentlyStopped.get(path);
    if (stoppedAt !== undefined && performance.now() - stoppedAt < GRACE_MS) return false;
    let h = this.held.get(path);
    if (!h) {
      h = { since: performance.now(), items: [] };
      this.held.set(path, h);
      this.sweeper ??= setInterval(() => this.sweep(), GRACE_MS / 4).unref();
    }
    if (h.items.length >= MAX_HELD_PER_PATH) return false;
    h.items.push(item);
    return true;
  }

  /** The actor now exists: hands over what waited for it, oldest first. */
  take(path: string): HeldItem[] | undefined {
    this.recentlyStopped.delete(path);
    const h = this.held.get(path);
    if (!h) return undefined;
    this.held.delete(path);
    return h.items;
  }

  stopped(path: string): void {
    if (this.recentlyStopped.size >= RECENT_STOPS) {
      const oldest = this.recentlyStopped.keys().next().value;
      if (oldest !== undefined) this.recentlyStopped.delete(oldest);
    }
    this.recentlyStopped.set(path, performance.now());
  }

  private sweep(): void {
    const now = performance.now();
    for (const [path, h] of this.held) {
      if (now - h.since < GRACE_MS) continue;
      this.held.delete(path);
      this.expire(path, h.items, 'no such actor');
    }
    for (const [path, at] of this.recentlyStopped) {
      if (now - at < GRACE_MS) break;
      this.recentlyStopped.delete(path);
    }
    if (this.held.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }
}
