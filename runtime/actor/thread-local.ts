// Per-thread state tied to the life of the actors that use it: `ctx.threadLocal(key, init,
// dispose)`. The first actor to open a key on a thread creates the value; every actor that opens
// it holds it; it survives their restarts (a restart keeps the actor); when the last holder stops
// for good, `dispose` runs and the key is gone. This replaces module-level maps that subsystems
// kept per thread (and never cleaned). Values are scoped per actor system, so several systems in
// one process (tests) never share one.

interface Entry {
  value: unknown;
  holders: Set<object>;
  dispose: ((value: unknown) => void) | undefined;
}

/** Per system host (one per thread): key -> entry. */
const locals = new WeakMap<object, Map<string, Entry>>();
/** Per holder (an actor cell): the keys it holds, so that its stop releases them. */
const held = new WeakMap<object, Set<Map<string, Entry>>>();

export function openThreadLocal<T>(host: object, holder: object, key: string, init: () => T, dispose?: (value: T) => void): T {
  let map = locals.get(host);
  if (map === undefined) locals.set(host, (map = new Map()));
  let e = map.get(key);
  if (e === undefined) {
    e = { value: init(), holders: new Set(), dispose: dispose as ((v: unknown) => void) | undefined };
    map.set(key, e);
  }
  e.holders.add(holder);
  let maps = held.get(holder);
  if (maps === undefined) held.set(holder, (maps = new Set()));
  maps.add(map);
  return e.value as T;
}

/** The value under `key` on this host, if some actor holds it (tests and tools; does not hold it). */
export function peekThreadLocal<T>(host: object, key: string): T | undefined {
  return locals.get(host)?.get(key)?.value as T | undefined;
}

/** The holder stopped for good: drops its holds and disposes of values nobody holds any more. */
export function releaseThreadLocals(holder: object, onError: (key: string, err: unknown) => void): void {
  const maps = held.get(holder);
  if (maps === undefined) return;
  held.delete(holder);
  for (const map of maps) {
    for (const [key, e] of map) {
      if (!e.holders.delete(holder) || e.holders.size > 0) continue;
      map.delete(key);
      try {
        e.dispose?.(e.value);
      } catch (err) {
        onError(key, err);
      }
    }
  }
}
