// Configuration of the lottery (lottery.md §3 Ex2, §10): the topology section schema, and the
// upstream files (`server/config.ini`, `client/config.yaml`) with their environment overrides.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readDocument } from '../../runtime/config/index.ts';
import { checkMaxAmount, DEFAULT_MAX_AMOUNT } from '../../protocols/lottery/index.ts';
import { DEFAULT_MAX_FRAME_BYTES, type ServerMode } from './session.ts';
import { isKnownLevel, LEVEL_NAMES } from './tp0log.ts';

/** An unknown level name is a configuration error (it used to read silently as INFO). */
function checkLevel(what: string, level: string): string {
  if (!isKnownLevel(level)) throw new Error(`${what} must be one of ${LEVEL_NAMES.join(', ')} (any case), got ${JSON.stringify(level)}`);
  return level;
}

// ---- Go-style durations ------------------------------------------------------------------

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `100ms`, `5s`, `1m30s`, `1.5h` (Go's time.ParseDuration) into milliseconds. Throws on bad input. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    sign = s[0] === '-' ? -1 : 1;
    at = 1;
  }
  if (at >= s.length) throw new Error(`invalid duration ${JSON.stringify(text)}`);
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) throw new Error(`invalid duration ${JSON.stringify(text)} (expected e.g. 100ms, 5s, 1m30s)`);
    total += Number(m[1]) * UNIT_MS[m[2]];
    at = re.lastIndex;
  }
  if (sign < 0) throw new Error(`negative duration ${JSON.stringify(text)}`);
  return total;
}

// ---- INI -----------------------------------------------------------------------------------

/** Minimal INI reader (Python configparser style): sections, `key = value` or `key: value`, `#`/`;` comments. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = { DEFAULT: {} };
  let section = 'DEFAULT';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1].trim();
      out[section] ??= {};
      continue;
    }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (m) out[section][m[1].trim().toUpperCase()] = m[2].trim();
  }
  return out;
}

// ---- server ----------------------------------------------------------------------------------

export interface ServerSettings {
  mode: ServerMode;
  host: string;
  port: number;
  listenBacklog: number;
  loggingLevel: string;
  agencies: number;
  servers: number;
  dataDir: string;
  maxConnections: number;
  winnersHoldMs: number;
  idleTimeoutMs: number;
  maxFrameBytes: number;
  durability: 'full' | 'normal';
  /** Create a missing data folder outside the project's `.data/` (data-dir.ts). */
  createDataDir?: boolean;
  /** `<source> | ` prefix on TP0 lines (in-process topologies). */
  source?: string;
  /** The process exits right after a stop (`lottery server`): the store leaves its synced WAL in place (betstore.ts). */
  exitsAfterStop?: boolean;
}


export interface ServerCliOptions {
  config?: string;
  port?: string;
  host?: string;
  agencies?: string;
  servers?: string;
  data?: string;
  mode?: string;
  backlog?: string;
  logLevel?: string;
  durability?: string;
  createDataDir?: boolean;
}

/**
 * Server settings for the standalone `lottery server` process, upstream style: `server/config.ini`
 * [DEFAULT] (SERVER_PORT, SERVER_IP, SERVER_LISTEN_BACKLOG, LOGGING_LEVEL, AGENCIES), overridden by
 * the environment (SERVER_PORT, SERVER_LISTEN_BACKLOG, LOGGING_LEVEL, AGENCIES, SERVER_MODE...),
 * overridden by flags.
 */
export function serverSettingsFromUpstream(o: ServerCliOptions, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ServerSettings {
  const iniPath = o.config ?? ['server/config.ini', 'config.ini'].map((p) => resolve(cwd, p)).find((p) => existsSync(p));
  const ini = (iniPath ? (readDocument(iniPath, { format: parseIni, optional: true }) as ReturnType<typeof parseIni> | undefined) : undefined)?.DEFAULT ?? {};
  const set = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const pick = (flag: string | undefined, envKey: string, iniKey: string, dflt: string | undefined): string | undefined =>
    set(flag) ?? set(env[envKey]) ?? set(ini[iniKey]) ?? dflt;
  const mode = (pick(o.mode, 'SERVER_MODE', 'SERVER_MODE', 'lottery') ?? 'lottery').toLowerCase();
  if (mode !== 'lottery' && mode !== 'echo' && mode !== 'bet') throw new Error(`SERVER_MODE must be lottery, echo or bet, got ${JSON.stringify(mode)}`);
  const agenciesText = pick(o.agencies, 'AGENCIES', 'AGENCIES', undefined);
  if (agenciesText === undefined && mode !== 'echo') {
    throw new Error('the agency count is not configured: set AGENCIES in the environment or under [DEFAULT] in server/config.ini');
  }
  const int = (what: string, v: string | undefined, min: number, max: number, dflt: number): number => {
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${what} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
    return n;
  };
  let host = pick(o.host, 'SERVER_HOST', 'SERVER_HOST', undefined) ?? '0.0.0.0';
  if (host === 'server') host = '0.0.0.0';
  const durability = (o.durability ?? env.LOTTERY_DURABILITY ?? 'full').trim().toLowerCase();
  if (durability !== 'full' && durability !== 'normal') throw new Error(`durability (--durability, LOTTERY_DURABILITY) must be full or normal, got ${JSON.stringify(durability)}`);
  return {
    mode,
    host,
    port: int('SERVER_PORT', pick(o.port, 'SERVER_PORT', 'SERVER_PORT', '12345'), 0, 65535, 12345),
    listenBacklog: int('SERVER_LISTEN_BACKLOG', pick(o.backlog, 'SERVER_LISTEN_BACKLOG', 'SERVER_LISTEN_BACKLOG', '5'), 1, 65535, 5),
    loggingLevel: checkLevel('LOGGING_LEVEL', pick(o.logLevel, 'LOGGING_LEVEL', 'LOGGING_LEVEL', 'INFO') ?? 'INFO'),
    agencies: int('AGENCIES', agenciesText, 0, 100_000, 0),
    servers: int('servers', pick(o.servers, 'SERVERS', 'SERVERS', '1'), 1, 64, 1),
    dataDir: resolve(cwd, pick(o.data, 'DATA_DIR', 'DATA_DIR', '.') ?? '.'),
    createDataDir: o.createDataDir === true,
    maxConnections: int('MAX_CONNECTIONS', pick(undefined, 'MAX_CONNECTIONS', 'MAX_CONNECTIONS', '256'), 1, 100_000, 256),
    winnersHoldMs: int('WINNERS_HOLD_MS', pick(undefined, 'WINNERS_HOLD_MS', 'WINNERS_HOLD_MS', '30000'), 0, 2 ** 31 - 1, 30_000),
    idleTimeoutMs: int('IDLE_TIMEOUT_MS', pick(undefined, 'IDLE_TIMEOUT_MS', 'IDLE_TIMEOUT_MS', '30000'), 100, 2 ** 31 - 1, 30_000),
    maxFrameBytes: int('MAX_FRAME_BYTES', pick(undefined, 'MAX_FRAME_BYTES', 'MAX_FRAME_BYTES', String(DEFAULT_MAX_FRAME_BYTES)), 64, 1 << 20, DEFAULT_MAX_FRAME_BYTES),
    durability: durability === 'normal' ? 'normal' : 'full',
  };
}

// ---- client ----------------------------------------------------------------------------------

export type ClientMode = 'batch' | 'bet' | 'echo';

export interface ClientSettings {
  id: number;
  /** host:port as configured (logged back verbatim). */
  serverAddress: string;
  host: string;
  port: number;
  loopAmount: number;
  /** As written (`5s`), and in ms. */
  loopPeriod: string;
  loopPeriodMs: number;
  logLevel: string;
  maxAmount: number;
  mode: ClientMode;
  protocol: 'A' | 'B';
  file: string;
  connectRetryMs: number;
  bet?: { nombre: string; apellido: string; documento: string; nacimiento: string; numero: string };
  /** `<source> | ` prefix for in-process runs. */
  source?: string;
}

export interface ClientCliOptions {
  config?: string;
  id?: string;
  server?: string;
  file?: string;
  batchMax?: string;
  protocol?: string;
  mode?: string;
  logLevel?: string;
  connectRetryMs?: string;
}

export function splitAddress(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  if (i <= 0) throw new Error(`server address must be host:port, got ${JSON.stringify(addr)}`);
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port in server address ${JSON.stringify(addr)}`);
  return { host, port };
}

function get(obj: unknown, path: string[]): unknown {
  let v = obj;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/**
 * Client settings, upstream style: `client/config.yaml` (server.address, loop.amount, loop.period,
 * log.level, batch.maxAmount), overridden by CLI_* environment variables (CLI_ID, CLI_SERVER_ADDRESS,
 * CLI_LOOP_AMOUNT, CLI_LOOP_PERIOD, CLI_LOG_LEVEL, CLI_BATCH_MAXAMOUNT, CLI_MODE), overridden by flags.
 */
export function clientSettingsFromUpstream(o: ClientCliOptions, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ClientSettings {
  const yamlPath = o.config ?? ['client/config.yaml', 'config.yaml'].map((p) => resolve(cwd, p)).find((p) => existsSync(p));
  const y: unknown = (yamlPath ? readDocument(yamlPath, { format: 'yaml', optional: true }) : undefined) ?? {};
  const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
  const idText = o.id ?? env.CLI_ID ?? str(get(y, ['id']));
  if (idText === undefined) throw new Error('the agency id is not configured: set CLI_ID or pass --id');
  const id = Number(idText);
  if (!Number.isInteger(id) || id < 1) throw new Error(`CLI_ID must be a positive integer, got ${JSON.stringify(idText)}`);
  const serverAddress = o.server ?? env.CLI_SERVER_ADDRESS ?? str(get(y, ['server', 'address'])) ?? 'server:12345';
  const { host, port } = splitAddress(serverAddress);
  const loopAmountText = env.CLI_LOOP_AMOUNT ?? str(get(y, ['loop', 'amount'])) ?? '5';
  const loopAmount = Number(loopAmountText);
  if (!Number.isInteger(loopAmount) || loopAmount < 0) throw new Error(`loop.amount must be a non-negative integer, got ${JSON.stringify(loopAmountText)}`);
  const loopPeriod = env.CLI_LOOP_PERIOD ?? str(get(y, ['loop', 'period'])) ?? '5s';
  const loopPeriodMs = parseDuration(loopPeriod);
  const logLevel = checkLevel('log.level (CLI_LOG_LEVEL, --log-level)', o.logLevel ?? env.CLI_LOG_LEVEL ?? str(get(y, ['log', 'level'])) ?? 'INFO');
  const maxText = o.batchMax ?? env.CLI_BATCH_MAXAMOUNT ?? str(get(y, ['batch', 'maxAmount'])) ?? String(DEFAULT_MAX_AMOUNT);
  const maxAmount = Number(maxText);
  const why = checkMaxAmount(maxAmount);
  if (why) throw new Error(why);
  const mode = (o.mode ?? env.CLI_MODE ?? 'batch').toLowerCase();
  if (mode !== 'batch' && mode !== 'bet' && mode !== 'echo') throw new Error(`CLI_MODE must be echo, bet or batch, got ${JSON.stringify(mode)}`);
  const protocol = (o.protocol ?? env.CLI_PROTOCOL ?? 'B').toUpperCase();
  if (protocol !== 'A' && protocol !== 'B') throw new Error(`--protocol must be A or B, got ${JSON.stringify(protocol)}`);
  const file = resolve(cwd, o.file ?? env.CLI_FILE ?? `.data/agency-${id}.csv`);
  const connectRetryMs = Number(o.connectRetryMs ?? env.CLI_CONNECT_RETRY_MS ?? 30_000);
  let bet: ClientSettings['bet'];
  if (mode === 'bet') {
    const need = ['NOMBRE', 'APELLIDO', 'DOCUMENTO', 'NACIMIENTO', 'NUMERO'];
    const missing = need.filter((k) => env[k] === undefined);
    if (missing.length) throw new Error(`single-bet mode needs ${missing.join(', ')} in the environment`);
    bet = { nombre: env.NOMBRE!, apellido: env.APELLIDO!, documento: env.DOCUMENTO!, nacimiento: env.NACIMIENTO!, numero: env.NUMERO! };
  }
  return { id, serverAddress, host, port, loopAmount, loopPeriod, loopPeriodMs, logLevel, maxAmount, mode, protocol, file, connectRetryMs, bet };
}
