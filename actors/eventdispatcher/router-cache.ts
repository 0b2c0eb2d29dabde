// The router's cache of messages for known local services that have not registered yet
// (eventdispatcher.md §7.4): the `cache` parameter (`no`, `reply`, `ttl=<seconds>` 10..86400,
// default 60), FIFO per service, expired entries purged. Pure; time is given in µs.

import type { Message } from '../../protocols/eventdispatcher/index.ts';
import type { Logger } from '../../runtime/index.ts';

export const DEFAULT_TTL_S = 60;
export const MIN_TTL_S = 10;
export const MAX_TTL_S = 86_400;

export interface CacheParam {
  no: boolean;
  reply: boolean;
  ttl: number;
}

/** Reads the `cache` parameter; invalid or out-of-range ttl values are logged and the default kept. */
export function parseCacheParam(msg: Message, log: Logger): CacheParam {
  const out: CacheParam = { no: false, reply: false, ttl: DEFAULT_TTL_S };
  if (!msg.hasParameter('cache')) return out;
  for (const raw of msg.getParameter('cache').split(';')) {
    const item = raw.trim();
    if (item === 'no') out.no = true;
    else if (item === 'reply') out.reply = true;
    else if (item.startsWith('ttl=')) {
      const v = item.slice(4);
      const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
      if (n >= MIN_TTL_S && n <= MAX_TTL_S) out.ttl = n;
      else log.error(`cache ttl "${v}" is not valid (expected ${MIN_TTL_S}..${MAX_TTL_S} seconds); using ${DEFAULT_TTL_S}`, { command: msg.command });
    } else if (item !== '') log.warn(`unknown cache option "${item}"`, { command: msg.command });
  }
  return out;
}

interface Entry {
  msg: Message;
  expiresUs: number;
}

export class RouterCache {
  #byService = new Map<string, Entry[]>();

  add(service: string, msg: Message, ttlS: number, nowUs: number): void {
    let list = this.#byService.get(service);
    if (list === undefined) this.#byService.set(service, (list = []));
    list.push({ msg, expiresUs: nowUs + ttlS * 1_000_000 });
  }

  /** Removes and returns the unexpired messages for `service`, oldest first. */
  take(service: string, nowUs: number): Message[] {
    const list = this.#byService.get(service) ?? [];
    this.#byService.delete(service);
    return list.filter((e) => e.expiresUs >= nowUs).map((e) => e.msg);
  }

  /** Drops every expired entry. */
  purge(nowUs: number): void {
    for (const [service, list] of this.#byService) {
      const keep = list.filter((e) => e.expiresUs >= nowUs);
      if (keep.length === 0) this.#byService.delete(service);
      else this.#byService.set(service, keep);
    }
  }

  size(service?: string): number {
    if (service !== undefined) return this.#byService.get(service)?.length ?? 0;
    let n = 0;
    for (const l of this.#byService.values()) n += l.length;
    return n;
  }
}
