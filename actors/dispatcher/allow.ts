// Address matching for `Allow` and `Trace` (dispatcher.md §2.5, §5.2) on node:net's BlockList.

import net from 'node:net';

/** `::ffff:a.b.c.d` → `a.b.c.d` (§5.2 step 2). */
export function normaliseAddress(addr: string): string {
  return addr.startsWith('::ffff:') && net.isIPv4(addr.slice(7)) ? addr.slice(7) : addr;
}

export interface AddressMatcher {
  matches(addr: string): boolean;
}

/** A matcher for a list of addresses and CIDRs (validated by the config schema). */
export function addressMatcher(entries: readonly string[]): AddressMatcher {
  const list = new net.BlockList();
  for (const e of entries) {
    const slash = e.indexOf('/');
    const addr = normaliseAddress(slash === -1 ? e : e.slice(0, slash));
    const type = net.isIPv6(addr) ? 'ipv6' : 'ipv4';
    if (slash === -1) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(e.slice(slash + 1)), type);
  }
  return {
    matches(a: string): boolean {
      const addr = normaliseAddress(a);
      const type = net.isIPv6(addr) ? 'ipv6' : 'ipv4';
      try {
        return list.check(addr, type);
      } catch {
        return false;
      }
    },
  };
}
