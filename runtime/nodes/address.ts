// Node-qualified actor addresses: `b:/pipeline/stage` is the actor `/pipeline/stage` on node `b`.
// A ref to another node's actor is placed on thread -1 (the main thread, which owns the links).

export const NODE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export interface NodeAddress {
  node: string;
  path: string;
}

/** Splits `node:/path`; null for a local path or a malformed address. */
export function parseAddress(address: string): NodeAddress | null {
  const colon = address.indexOf(':/');
  if (colon <= 0) return null;
  const node = address.slice(0, colon);
  if (!NODE_NAME.test(node)) return null;
  return { node, path: address.slice(colon + 1) };
}

export function qualify(node: string, path: string): string {
  return `${node}:${path}`;
}
