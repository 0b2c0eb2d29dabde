// The `nodes:` section of a topology: this node's name and listen address, its peers, where the
// link secret comes from (a file or an environment variable, never the topology itself), TLS,
// heartbeats, the reconnect policy and the frame limits.

import { z } from 'zod';
import { NODE_NAME } from './address.ts';
import { pauseSeconds } from '../io/reconnect.ts';

const wsUrl = z.string().regex(/^wss?:\/\/[^/\s]+\/?$/, 'a ws:// or wss:// address such as ws://127.0.0.1:7401');
const nodeName = z.string().regex(NODE_NAME, 'letters, digits, _ . - (at most 64)');

const pauseList = z.union([z.number(), z.string()]).refine(
  (v) => {
    try {
      pauseSeconds(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'a pause list such as "1,1,1,3,5" (seconds; s, m, h, d, w suffixes)' },
);

export const nodesSchema = z.strictObject({
  name: nodeName,
  /** Where peers dial this node; omitted: this node only dials out. */
  listen: wsUrl.optional(),
  peers: z.array(z.strictObject({ name: nodeName, url: wsUrl })).optional(),
  /** File holding the shared link secret (relative to the topology file). */
  secretFile: z.string().optional(),
  /** Environment variable holding it (default ACTOR_RUNTIME_NODE_SECRET). */
  secretEnv: z.string().optional(),
  tls: z
    .strictObject({
      certFile: z.string().optional(),
      keyFile: z.string().optional(),
      caFile: z.string().optional(),
      requireClientCert: z.boolean().optional(),
    })
    .optional(),
  heartbeatMs: z.number().int().min(10).max(60_000).optional(),
  /** No frame from a peer for this long: it is down (default 5 heartbeats). */
  downAfterMs: z.number().int().min(20).optional(),
  /**
   * How long watches of a peer's actors wait for a dropped link to come back before they end with
   * node-down (default: until the peer is declared down, downAfterMs after it was last heard).
   * 0: at once when the link drops, for users that must hear of every drop (to resend what was
   * in flight, as the broker link does).
   */
  keepWatchesMs: z.number().int().min(0).optional(),
  reconnect: z.union([pauseList, z.strictObject({ initialMs: z.number().positive(), factor: z.number().min(1), maxMs: z.number().positive() })]).optional(),
  maxFrameBytes: z.number().int().min(1024).max(256 * 1024 * 1024).optional(),
  maxDepth: z.number().int().min(2).max(1000).optional(),
  highWaterBytes: z.number().int().min(1024).optional(),
});

export type NodesConfig = z.infer<typeof nodesSchema>;
