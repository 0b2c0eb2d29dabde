// The `broker` topology section's schema (zod, loaded on first use so that `broker <op>` runs
// never load it). Values are checked again, with the same messages, by settings.ts.

import { createRequire } from 'node:module';
import type { z as Z } from 'zod';

let cached: Z.ZodType | null = null;

export function brokerSchema(): Z.ZodType {
  if (cached) return cached;
  const { z } = createRequire(import.meta.url)('zod') as { z: typeof Z };
  const int = z.number().int().min(1);
  const limits = z.strictObject({
    maxTopicLength: int, maxMessageBytes: int, maxTimeoutMs: int, maxTopics: int, maxClients: int,
    maxSubscriptionsPerClient: int, maxPendingMessages: int, maxPendingBytes: int, maxFrameBytes: int,
  }).partial();
  const nodeName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)');
  const tls = z.strictObject({ certFile: z.string(), keyFile: z.string(), caFile: z.string(), requireClientCert: z.boolean() }).partial();
  const server = z.strictObject({
    listen: z.string().regex(/^(wss?:\/\/)?[^/\s]+:\d{1,5}\/?$/, 'expected host:port or ws(s)://host:port'),
    nodeName,
    secretFile: z.string(),
    tls,
    dataDir: z.string(),
    defaultTopics: z.array(z.string()),
    pushWindow: int,
    durability: z.enum(['full', 'normal', 'off']),
    limits,
  }).partial();
  const local = z.strictObject({
    server: z.string().regex(/^wss?:\/\/./, 'expected a ws:// URL'),
    serverNode: nodeName,
    nodeName,
    secretFile: z.string(),
    tls,
    dataDir: z.string(),
    localSocket: z.string(),
    maxLocalClients: int,
    requestTimeoutMs: int,
    pingMs: int,
    wsListen: z.string().regex(/^.+:\d{1,5}$/, 'expected host:port'),
    limits,
  }).partial();
  cached = z.strictObject({
    /** The broker server node of this process (at most one in v1). */
    server: server.optional(),
    /** Local brokers of this process (normally one per machine). */
    local: z.array(local).default([]),
    /** Demo: publish a progress line every `everyMs` to `topic` and print what a subscriber receives. */
    demo: z.strictObject({ topic: z.string().default('progress'), everyMs: int.default(2000) }).optional(),
  });
  return cached;
}
