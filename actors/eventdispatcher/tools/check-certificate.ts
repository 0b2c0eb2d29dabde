// `actor-runtime check-certificate` (eventdispatcher.md §6.3): connects with TLS to <domain>:443
// (SNI = domain), reads the peer certificate without verifying the chain, and exits 0 iff it has
// at least --limit days left (default 14). --info prints its dates and names.

import net from 'node:net';
import tls from 'node:tls';
import type { Command } from 'commander';
import { ToolError } from './settings.ts';
import { runTool } from './run-tool.ts';

export const DEFAULT_LIMIT_DAYS = 14;
const CONNECT_TIMEOUT_MS = 10_000;

export function buildCheckCertificate(cmd: Command): Command {
  return cmd
    .description('exit 0 when the TLS certificate of <domain>:443 has at least --limit days left')
    .argument('[domain]', 'the domain to check')
    .option('-i, --info', 'print the certificate dates and names')
    .option('-l, --limit <days>', `days that must be left (default ${DEFAULT_LIMIT_DAYS})`)
    .option('--port <port>', 'port to connect to (default 443)');
}

interface PeerCert {
  valid_from: string;
  valid_to: string;
  issuer?: Record<string, string | string[]>;
  subject?: Record<string, string | string[]>;
}

function fetchCertificate(domain: string, port: number): Promise<PeerCert> {
  return new Promise<PeerCert>((resolve, reject) => {
    const sock = tls.connect({ host: domain, port, servername: net.isIP(domain) ? undefined : domain, rejectUnauthorized: false });
    const timer = setTimeout(() => done(new Error('timed out')), CONNECT_TIMEOUT_MS);
    const done = (r: PeerCert | Error): void => {
      clearTimeout(timer);
      sock.destroy();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    sock.once('secureConnect', () => {
      const c = sock.getPeerCertificate();
      if (c === null || c.valid_to === undefined) done(new Error('no certificate'));
      else done(c as unknown as PeerCert);
    });
    sock.once('error', (err) => done(err));
  });
}

/** UTC `YYYY/MM/DD HH:MM:SS`. */
export function formatDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

const NAME_FIELDS: [string, string][] = [
  ['common-name', 'CN'],
  ['country-name', 'C'],
  ['locality-name', 'L'],
  ['state-or-province-name', 'ST'],
  ['organization-name', 'O'],
  ['organizational-unit', 'OU'],
  ['email-address', 'emailAddress'],
];

/** The --info lines, empty fields skipped, in the order of §6.3. */
export function infoLines(domain: string, c: PeerCert): string[] {
  const out: string[] = [];
  const add = (k: string, v: string | undefined): void => {
    if (v !== undefined && v !== '') out.push(`${k}: ${v}`);
  };
  add('domain', domain);
  add('not-before', formatDate(new Date(c.valid_from)));
  add('not-after', formatDate(new Date(c.valid_to)));
  for (const [prefix, names] of [['issuer-', c.issuer], ['subject-', c.subject]] as const) {
    for (const [field, key] of NAME_FIELDS) {
      const v = names?.[key];
      add(prefix + field, Array.isArray(v) ? v.join(', ') : v);
    }
  }
  return out;
}

export function runCheckCertificate(argv: string[], nowMs = Date.now): Promise<number> {
  return runTool('check-certificate', 'actor-runtime check-certificate', 'CHECK_CERTIFICATE', argv, buildCheckCertificate, async (opts, args) => {
    const domain = args[0];
    if (domain === undefined || domain === '') throw new ToolError('a domain is required.');
    const limitText = opts.limit as string | undefined;
    const limit = limitText === undefined ? DEFAULT_LIMIT_DAYS : Number(limitText);
    if (limitText !== undefined && (limitText.trim() === '' || !Number.isFinite(limit))) throw new ToolError(`--limit expects a number of days, not "${limitText}".`);
    const port = opts.port === undefined ? 443 : Number(opts.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ToolError(`--port expects a port number, not "${String(opts.port)}".`);
    let cert: PeerCert;
    try {
      cert = await fetchCertificate(domain, port);
    } catch {
      throw new ToolError(`failed to load the certificate from "${domain}".`);
    }
    if (opts.info) for (const l of infoLines(domain, cert)) process.stdout.write(`${l}\n`);
    const daysLeft = (new Date(cert.valid_to).getTime() - nowMs()) / 86_400_000;
    return daysLeft >= limit ? 0 : 1;
  });
}
