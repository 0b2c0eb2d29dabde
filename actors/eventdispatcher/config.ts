// The `eventdispatcher` topology section: routers (the local endpoints of §7.1) and services
// (actors defined with defineService, by module and export; the example service by default).

import { z } from 'zod';

const hostPort = z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[^:\s]+):[0-9]{1,5}$/, 'expected host:port, e.g. 127.0.0.1:4040');

export const routerSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/).default('communicatord'),
  /** The router's server name (default: the host name as a base name). */
  serverName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a name of letters, digits and _').optional(),
  tcp: hostPort.nullable().default('127.0.0.1:4040'),
  udp: hostPort.nullable().default('127.0.0.1:4041'),
  /** Required secret_code on UDP messages ('' = none). */
  signalSecret: z.string().default(''),
  unix: z.string().min(1).nullable().default(null),
  knownServices: z.array(z.string()).default([]),
  maxLine: z.number().int().min(1024).max(1 << 30).default(1 << 20),
  /** Debug mode (§7.2): a COMMANDS list missing HELP, QUITTING, READY, STOP or UNKNOWN closes that connection. */
  debug: z.boolean().default(false),
  thread: z.union([z.literal('main'), z.literal('any'), z.number().int().min(0)]).default('main'),
});

export const serviceSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/),
  /** The name it registers under (default: name). */
  service: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
  /** Module defining the service, relative to the topology file (default: the example service). */
  module: z.string().optional(),
  export: z.string().default('ExampleService'),
  router: z.string().default('cd://127.0.0.1:4040'),
  pauses: z.union([z.string(), z.number(), z.strictObject({ exponential: z.strictObject({ initial: z.number().positive().optional(), factor: z.number().min(1).optional(), max: z.number().positive().optional() }) })]).optional(),
  props: z.record(z.string(), z.unknown()).default({}),
  thread: z.union([z.literal('main'), z.literal('any'), z.number().int().min(0)]).default('any'),
});

export const logrotateSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/).default('logrotate'),
  /** --logrotate-listen: where LOG_ROTATE datagrams arrive. */
  listen: hostPort,
  /** --logrotate-secret ('' = none). */
  secret: z.string().default(''),
});

export const sectionSchema = z.strictObject({
  routers: z.array(routerSchema).default([]),
  services: z.array(serviceSchema).default([]),
  logrotate: z.array(logrotateSchema).default([]),
});

export type EdSection = z.infer<typeof sectionSchema>;

export function splitHostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  return { host: text.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(text.slice(i + 1)) };
}
