// Builds full node settings from what a topology section or the command line gave, and checks
// every value (a bad one stops start-up with a message naming the key, broker.md §6.2).

import { join, resolve } from 'node:path';
import { DEFAULT_LIMITS } from '../../protocols/broker/index.ts';
import { validateTopic } from '../../protocols/broker/limits.ts';
import {
  checkLimits,
  ConfigError,
  DEFAULT_LOCAL,
  DEFAULT_SERVER,
  DEFAULT_SERVER_LIMITS,
  DEFAULT_SERVER_NODE,
  type Durability,
  type LinkNodeSettings,
  type LinkTls,
  type LocalSettings,
  type ServerLimits,
  type ServerSettings,
} from './limits.ts';

/** The link node options of either side (topology keys and `broker server|local` flags). */
export interface LinkInput {
  nodeName?: string;
  secretFile?: string;
  tls?: LinkTls;
}

export interface ServerInput extends LinkInput {
  listen?: string;
  dataDir?: string;
  defaultTopics?: string[];
  pushWindow?: number;
  durability?: Durability;
  secret?: string | null;
  limits?: Partial<ServerLimits>;
}

export interface LocalInput extends LinkInput {
  server?: string;
  serverNode?: string;
  dataDir?: string;
  localSocket?: string;
  secret?: string | null;
  maxLocalClients?: number;
  requestTimeoutMs?: number;
  pingMs?: number;
  wsListen?: string | null;
  limits?: Partial<ServerLimits>;
}

const NODE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function nodeName(where: string, v: string): string {
  if (!NODE_NAME.test(v)) throw new ConfigError(`${where}: expected a node name (letters, digits, _ . -, at most 64), found ${JSON.stringify(v)}`);
  return v;
}

function linkSettings(i: LinkInput, where: string, base: string, defaultName: string | null): LinkNodeSettings {
  const tls = i.tls ?? null;
  const file = (f: string | undefined): string | undefined => (f === undefined ? undefined : resolve(base, f));
  return {
    nodeName: i.nodeName !== undefined ? nodeName(`${where}.nodeName`, i.nodeName) : defaultName,
    secretFile: i.secretFile !== undefined ? resolve(base, i.secretFile) : null,
    tls: tls === null ? null : { certFile: file(tls.certFile), keyFile: file(tls.keyFile), caFile: file(tls.caFile), requireClientCert: tls.requireClientCert },
  };
}

function positive(where: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new ConfigError(`${where}: expected a positive integer, found ${JSON.stringify(v)}`);
  return v;
}

export function serverSettings(i: ServerInput, where = 'broker.server', base = process.cwd()): ServerSettings {
  const limits = { ...DEFAULT_SERVER_LIMITS, ...i.limits };
  checkLimits(limits as unknown as Record<string, unknown>, `${where}.limits`);
  const defaultTopics = i.defaultTopics ?? DEFAULT_SERVER.defaultTopics;
  defaultTopics.forEach((t, n) => {
    const bad = validateTopic(t, limits);
    if (bad) throw new ConfigError(`${where}.defaultTopics.${n}: ${bad.description}`);
  });
  const durability = i.durability ?? DEFAULT_SERVER.durability;
  if (!['full', 'normal', 'off'].includes(durability)) throw new ConfigError(`${where}.durability: expected one of "full", "normal", "off", found ${JSON.stringify(durability)}`);
  const listen = i.listen ?? DEFAULT_SERVER.listen;
  if (!/^(wss?:\/\/)?[^/\s]+:\d{1,5}\/?$/.test(listen)) throw new ConfigError(`${where}.listen: expected host:port or ws(s)://host:port, found ${JSON.stringify(listen)}`);
  const [, scheme, host, port] = /^(wss?:\/\/)?(.+):(\d+)\/?$/.exec(listen) as RegExpExecArray;
  const listenUrl = `${scheme ?? 'ws://'}${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  const link = linkSettings(i, where, base, DEFAULT_SERVER_NODE);
  if (listenUrl.startsWith('wss:') && (!link.tls?.certFile || !link.tls.keyFile)) throw new ConfigError(`${where}.tls: wss:// needs tls.certFile and tls.keyFile`);
  return {
    listen,
    listenUrl,
    link,
    dataDir: resolve(base, i.dataDir ?? DEFAULT_SERVER.dataDir),
    defaultTopics,
    pushWindow: positive(`${where}.pushWindow`, i.pushWindow ?? DEFAULT_SERVER.pushWindow),
    durability,
    secret: i.secret ?? process.env.BROKER_SECRET ?? null,
    limits,
  };
}

export function localSettings(i: LocalInput, where = 'broker.local', base = process.cwd()): LocalSettings {
  const dataDir = resolve(base, i.dataDir ?? DEFAULT_LOCAL.dataDir);
  const server = i.server ?? DEFAULT_LOCAL.server;
  if (!/^wss?:\/\/./.test(server)) throw new ConfigError(`${where}.server: expected a ws:// URL, found ${JSON.stringify(server)}`);
  const limits = { ...DEFAULT_LIMITS, maxTopicLength: i.limits?.maxTopicLength ?? DEFAULT_LIMITS.maxTopicLength, maxMessageBytes: i.limits?.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes };
  checkLimits(limits as unknown as Record<string, unknown>, `${where}.limits`);
  const secret = i.secret ?? process.env.BROKER_SECRET ?? null;
  const wsListen = i.wsListen ?? null;
  if (wsListen !== null && !/^.+:\d{1,5}$/.test(wsListen)) throw new ConfigError(`${where}.wsListen: expected host:port, found ${JSON.stringify(wsListen)}`);
  if (wsListen !== null && secret === null) throw new ConfigError(`${where}.wsListen: the ws endpoint needs a secret (set BROKER_SECRET)`);
  return {
    server,
    serverNode: nodeName(`${where}.serverNode`, i.serverNode ?? DEFAULT_SERVER_NODE),
    link: linkSettings(i, where, base, null),
    wsListen,
    dataDir,
    localSocket: i.localSocket ? resolve(base, i.localSocket) : join(dataDir, 'lb.sock'),
    secret,
    maxLocalClients: positive(`${where}.maxLocalClients`, i.maxLocalClients ?? DEFAULT_LOCAL.maxLocalClients),
    requestTimeoutMs: positive(`${where}.requestTimeoutMs`, i.requestTimeoutMs ?? DEFAULT_LOCAL.requestTimeoutMs),
    pingMs: positive(`${where}.pingMs`, i.pingMs ?? DEFAULT_LOCAL.pingMs),
    maxFrameBytes: positive(`${where}.limits.maxFrameBytes`, i.limits?.maxFrameBytes ?? DEFAULT_SERVER_LIMITS.maxFrameBytes),
    limits,
  };
}
