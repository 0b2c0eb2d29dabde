// `actor-runtime signal` (ed-signal, eventdispatcher.md §6.1): sends one message to a router or
// service, as one UDP datagram (default, to 127.0.0.1:4041) or as one TCP line whose first reply
// line is printed with --reply.

// node:dgram and node:tls load only for the transport used (tls alone costs a one-shot run ~10 ms).
import net from 'node:net';
import os from 'node:os';
import type { Command } from 'commander';
import { InvalidMessageError, Message } from '../../../protocols/eventdispatcher/index.ts';
import { encodeDatagram } from '../datagram.ts';
import { readVariables, ToolError } from './settings.ts';
import { runTool } from './run-tool.ts';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4041;
const REPLY_TIMEOUT_MS = 10_000;

export function buildSignal(cmd: Command): Command {
  return cmd
    .description('send one event dispatcher message (UDP by default, or TCP with --type tcp)')
    .argument('[message]', '[[server:]service/]COMMAND')
    .option('-m, --message <message>', '[[server:]service/]COMMAND')
    .option('-s, --server <server>', 'destination server')
    .option('-S, --service <service>', 'destination service')
    .option('-p, --param <name[=value]>', 'a parameter (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-t, --type <type>', 'udp or tcp', 'udp')
    .option('-H, --host <ip:port|file@variable>', `where to send (default ${DEFAULT_HOST}:${DEFAULT_PORT})`)
    .option('-c, --secret-code <code>', 'secret code (UDP only)')
    .option('-e, --encrypt <bool>', 'TLS (TCP only): true|1|yes or false|0|no')
    .option('-r, --reply', 'print the first line received (TCP only)');
}

/** `ip[:port]` with the defaults; `[v6]:port` too. */
export function parseHost(text: string): { host: string; port: number } {
  let host = text;
  let port = DEFAULT_PORT;
  const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (v6) {
    host = v6[1];
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else {
    const i = text.lastIndexOf(':');
    if (i !== -1 && text.indexOf(':') === i) {
      host = text.slice(0, i);
      const p = text.slice(i + 1);
      port = p === '' ? DEFAULT_PORT : /^[0-9]+$/.test(p) ? Number(p) : NaN;
    }
  }
  if (host === '') host = DEFAULT_HOST;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ToolError(`"${text}" is not a valid address (expected ip[:port]).`);
  return { host, port };
}

/** --host, with `file@variable` read from a configuration file. */
export function resolveHost(value: string | undefined): { host: string; port: number } {
  if (value === undefined) return { host: DEFAULT_HOST, port: DEFAULT_PORT };
  const at = value.indexOf('@');
  if (at === -1) return parseHost(value);
  const file = value.slice(0, at);
  const variable = value.slice(at + 1);
  let vars: Map<string, string>;
  try {
    vars = readVariables(file);
  } catch (err) {
    throw new ToolError(`cannot read "${file}": ${(err as Error).message}`);
  }
  const v = vars.get(variable.replace(/_/g, '-'));
  if (v === undefined) throw new ToolError(`variable "${variable}" not found in "${file}".`);
  return parseHost(v);
}

function bool(text: string): boolean {
  if (/^(true|1|yes)$/.test(text)) return true;
  if (/^(false|0|no)$/.test(text)) return false;
  throw new ToolError(`--encrypt expects true, 1, yes, false, 0 or no, not "${text}".`);
}

/** The message of §6.1: sent from this host's ed_signal, through the validating setters. */
export function buildMessage(opts: Record<string, unknown>, positional: string | undefined, hostName = os.hostname()): Message {
  const text = (opts.message as string | undefined) ?? positional;
  if (text === undefined || text === '') throw new ToolError('a message (COMMAND, service/COMMAND or server:service/COMMAND) is required.');
  let server: string | undefined;
  let service: string | undefined;
  let command = text;
  const slash = text.indexOf('/');
  if (slash !== -1) {
    const left = text.slice(0, slash);
    command = text.slice(slash + 1);
    const colon = left.indexOf(':');
    if (colon !== -1) {
      server = left.slice(0, colon);
      service = left.slice(colon + 1);
    } else service = left;
  }
  if (opts.server !== undefined) {
    if (server !== undefined) throw new ToolError('cannot define a server if the --server command line option is also used.');
    server = opts.server as string;
  }
  if (opts.service !== undefined) {
    if (service !== undefined) throw new ToolError('cannot define a service if the --service command line option is also used.');
    service = opts.service as string;
  }
  const m = new Message();
  try {
    m.setSentFromServer(hostName);
    m.setSentFromService('ed_signal');
    if (server !== undefined) m.setServer(server);
    if (service !== undefined) m.setService(service);
    m.setCommand(command);
    for (const p of opts.param as string[]) {
      const eq = p.indexOf('=');
      m.addParameter(eq === -1 ? p : p.slice(0, eq), eq === -1 ? '' : p.slice(eq + 1));
    }
  } catch (err) {
    if (err instanceof InvalidMessageError) throw new ToolError(err.message);
    throw err;
  }
  return m;
}

async function sendUdp(m: Message, to: { host: string; port: number }, secret: string): Promise<void> {
  const bytes = (() => {
    try {
      return encodeDatagram(m, secret);
    } catch (err) {
      throw new ToolError((err as Error).message);
    }
  })();
  const { default: dgram } = await import('node:dgram');
  const sock = dgram.createSocket(net.isIPv6(to.host) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => sock.send(bytes, to.port, to.host, (err) => (err ? reject(new ToolError(`cannot send to ${to.host}:${to.port}: ${err.message}`)) : resolve())));
  } finally {
    sock.close();
  }
}

/** Sends one line; resolves with the first line received (TCP, optionally TLS). */
export async function sendTcp(m: Message, to: { host: string; port: number }, encrypt: boolean): Promise<string> {
  const tls = encrypt ? (await import('node:tls')).default : null;
  return new Promise<string>((resolve, reject) => {
    const sock = tls ? tls.connect({ host: to.host, port: to.port, servername: net.isIP(to.host) ? undefined : to.host }) : net.connect(to.port, to.host);
    let buf = '';
    const timer = setTimeout(() => finish(new ToolError(`no reply from ${to.host}:${to.port} within ${REPLY_TIMEOUT_MS / 1000} s.`)), REPLY_TIMEOUT_MS);
    const finish = (r: string | Error): void => {
      clearTimeout(timer);
      sock.destroy();
      if (typeof r === 'string') resolve(r);
      else reject(r);
    };
    sock.once(encrypt ? 'secureConnect' : 'connect', () => sock.write(`${m.toMessage()}\n`));
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl !== -1) finish(buf.slice(0, nl));
    });
    sock.on('error', (err) => finish(new ToolError(`cannot talk to ${to.host}:${to.port}: ${err.message}`)));
    sock.on('close', () => finish(new ToolError(`${to.host}:${to.port} closed the connection before replying.`)));
  });
}

export function runSignal(argv: string[]): Promise<number> {
  return runTool('ed-signal', 'actor-runtime signal', 'ED_SIGNAL', argv, buildSignal, async (opts, args) => {
    const type = opts.type as string;
    if (type !== 'udp' && type !== 'tcp') throw new ToolError(`--type must be udp or tcp, not "${type}".`);
    const to = resolveHost(opts.host as string | undefined);
    if (type === 'udp') {
      if (opts.encrypt !== undefined) throw new ToolError('--encrypt is only available with --type tcp.');
      if (opts.reply) throw new ToolError('--reply is only available with --type tcp.');
    } else if (opts.secretCode !== undefined) throw new ToolError('--secret-code is only available with --type udp.');
    const m = buildMessage(opts, args[0]);
    if (type === 'udp') {
      await sendUdp(m, to, (opts.secretCode as string | undefined) ?? '');
      return 0;
    }
    const line = await sendTcp(m, to, opts.encrypt === undefined ? false : bool(opts.encrypt as string));
    if (opts.reply) process.stdout.write(`${line}\n`);
    return 0;
  });
}
