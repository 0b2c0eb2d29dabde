// Address matching for `Allow` and `Trace` (dispatcher.md §2.5, §5.2) on node:net's BlockList.

import net from 'node:net';

/** `::ffff:a.b.c.d` → `a.b.c.d` (§5.2 step 2). */
export function normaliseAddress(addr: string): string {
  return addr.startsWith('::ffff:') && net.isIPv4(addr.slice(7)) ? addr.slice(7) : addr;
}

export interface AddressMatcher {
  matches(addr: string): boolean;
}

/**
 * A matcher for a list of addresses and CIDRs (validated by the config schema). The BlockList is
 * built on the first check: creating one loads several of Node's internal modules (milliseconds),
 * which a dispatcher's start would otherwise pay before it binds.
 */
export function addressMatcher(entries: readonly string[]): AddressMatcher {
  let list: net.BlockList | null = null;
  const build = (): net.BlockList => {
    const l = new net.BlockList();
    for (const e of entries) {
      const slash = e.indexOf('/');
      const addr = normaliseAddress(slash === -1 ? e : e.slice(0, slash));
      const type = net.isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (slash === -1) l.addAddress(addr, type);
      else l.addSubnet(addr, Number(e.slice(slash + 1)), type);
    }
    return l;
  };
  return {
    matches(a: string): boolean {
      const addr = normaliseAddress(a);
      const type = net.isIPv6(addr) ? 'ipv6' : 'ipv4';
      const l = (list ??= build());
      try {
        return l.check(addr, type);
      } catch {
        return false;
      }
    },
  };
}
