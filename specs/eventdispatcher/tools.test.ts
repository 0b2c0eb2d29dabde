// The three tools as processes against real sockets (eventdispatcher.md §6, §8 "Utilities").

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generate } from 'selfsigned';
import { parseHost } from '../../actors/eventdispatcher/tools/signal.ts';
import { clampTimeout } from '../../actors/eventdispatcher/tools/stop.ts';
import { waitFor } from './helpers.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const node = join(root, 'node_modules', '.bin', 'node');
const bin = join(root, 'bin', 'actor-runtime.ts');

function run(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(node, [bin, ...args], { cwd: root, env: { ...process.env, EVENTDISPATCHER_CONFIG_DIR: '/nonexistent', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function udpReceiver(): Promise<{ port: number; got: string[]; close(): void }> {
  const s = dgram.createSocket('udp4');
  const got: string[] = [];
  s.on('message', (m) => got.push(m.toString()));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: s.address().port, got, close: () => s.close() };
}

async function lineServer(reply: string): Promise<{ port: number; got: string[]; close(): void }> {
  const got: string[] = [];
  const srv = net.createServer((sock) => {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      got.push(d);
      sock.write(reply);
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, got, close: () => srv.close() };
}

describe('eventdispatcher tools: signal', () => {
  const host = os.hostname();
  it('signal STOP sends one datagram <host:ed_signal STOP and exits 0', async () => {
    const rx = await udpReceiver();
    const r = await run(['signal', '--host', `127.0.0.1:${rx.port}`, 'STOP']);
    assert.equal(r.status, 0, r.stderr);
    await waitFor(() => rx.got.length === 1, 'the datagram');
    assert.deepEqual(rx.got, [`<${host}:ed_signal STOP`]);
    const r2 = await run(['signal', '-H', `127.0.0.1:${rx.port}`, '-c', 'abc', '-p', 'x=1', '-p', 'flag', 'snap:cluckd/LOCK']);
    assert.equal(r2.status, 0, r2.stderr);
    await waitFor(() => rx.got.length === 2, 'the second datagram');
    assert.equal(rx.got[1], `<${host}:ed_signal snap:cluckd/LOCK flag=;secret_code=abc;x=1`);
    rx.close();
  });

  it('--type tcp --reply prints the first line received; the default port applies to TCP too', async () => {
    const srv = await lineServer('FIRST\nSECOND\n');
    const r = await run(['signal', '--type', 'tcp', '--host', `127.0.0.1:${srv.port}`, '--reply', 'HELP']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'FIRST\n');
    assert.deepEqual(srv.got, [`<${host}:ed_signal HELP\n`]);
    srv.close();
    assert.deepEqual(parseHost('127.0.0.1'), { host: '127.0.0.1', port: 4041 });
    assert.deepEqual(parseHost(':5000'), { host: '127.0.0.1', port: 5000 });
    assert.deepEqual(parseHost('[::1]:7'), { host: '::1', port: 7 });
  });

  it('the configuration file, the environment variable and --host file@variable', async () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'ed-tools-'));
    const srv = await lineServer('OK\n');
    writeFileSync(join(dir, 'ed-signal.conf'), `# test\nhost=127.0.0.1:${srv.port}\nreply=true\n`);
    const r = await run(['signal', 'HELP'], { EVENTDISPATCHER_CONFIG_DIR: dir, ED_SIGNAL: '--type tcp' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'OK\n');
    const rx = await udpReceiver();
    writeFileSync(join(dir, 'fluid.conf'), `listen=127.0.0.1:${rx.port}\n`);
    const r2 = await run(['signal', '--host', `${join(dir, 'fluid.conf')}@listen`, 'PING']);
    assert.equal(r2.status, 0, r2.stderr);
    await waitFor(() => rx.got.length === 1, 'the datagram');
    const r3 = await run(['signal', '--host', `${join(dir, 'fluid.conf')}@nope`, 'PING']);
    assert.equal(r3.status, 1);
    assert.match(r3.stderr, new RegExp(`variable "nope" not found in "${join(dir, 'fluid.conf')}"\\.`));
    srv.close();
    rx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('errors: a 1,025-byte message is refused at send time; bad type; options of the other transport', async () => {
    const r = await run(['signal', '-H', '127.0.0.1:9', '-p', `x=${'a'.repeat(1024)}`, 'X']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /message too large \(\d+ bytes\) for a UDP server \(max: DATAGRAM_MAX_SIZE\)/);
    assert.equal((await run(['signal', '--type', 'sctp', 'X'])).status, 1);
    assert.match((await run(['signal', '--reply', 'X'])).stderr, /--reply is only available with --type tcp/);
    assert.match((await run(['signal', '-t', 'tcp', '-e', 'maybe', 'X'])).stderr, /--encrypt expects/);
  });
});

describe('eventdispatcher tools: stop', () => {
  it('--service is mandatory; an empty value exits 0; a PID that is not running exits 1; -t is clamped', async () => {
    const r = await run(['stop']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'ed-stop: error: --service parameter is mandatory.\n');
    assert.equal((await run(['stop', '-s', ''])).status, 0);
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const r2 = await run(['stop', '-s', dead.stdout.trim()]);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /is not running/);
    assert.equal(clampTimeout('5'), 10);
    assert.equal(clampTimeout('99999'), 3600);
    assert.equal(clampTimeout(undefined), 60);
  });

  it('a name unknown to the service manager is found by --process-name; not running exits 0', async () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'ed-stop-'));
    const exe = join(dir, 'edstoptarget');
    copyFileSync('/bin/sleep', exe);
    const child = spawn(exe, ['60'], { stdio: 'ignore' });
    await waitFor(() => child.pid !== undefined, 'the process');
    await new Promise((r) => setTimeout(r, 100));
    const r = await run(['stop', '-s', 'edstoptarget-service', '-p', 'edstoptarget']);
    assert.equal(r.status, 0, r.stderr);
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, 'the process to stop on SIGINT');
    assert.equal(child.signalCode, 'SIGINT');
    assert.equal((await run(['stop', '-s', 'edstoptarget-service', '-p', 'edstoptarget'])).status, 0, 'not running: exit 0');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a process that stops on SIGINT: exit 0 at once', async () => {
    const child = spawn(process.execPath, ['-e', "process.on('SIGINT', () => process.exit(0)); setInterval(() => {}, 1000); console.log('up')"], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((r) => child.stdout.once('data', r));
    const t0 = Date.now();
    const r = await run(['stop', '-s', String(child.pid)]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Date.now() - t0 < 8000);
  });

  it('-t 5 behaves as 10 s; a process that survives SIGTERM still gives exit 0 (SIGKILL is never sent)', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['-e', "const t0 = Date.now(); for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => console.log(s, Date.now() - t0)); setInterval(() => {}, 1000); console.log('up')"], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    await waitFor(() => out.includes('up'), 'the child');
    const r = await run(['stop', '-s', String(child.pid), '-t', '5']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `ed-stop: kill() had no effect on "${child.pid}" within the timeout period.\n`);
    const term = Number(/SIGTERM (\d+)/.exec(out)?.[1]);
    const int = Number(/SIGINT (\d+)/.exec(out)?.[1]);
    assert.ok(term - int >= 9500, `SIGTERM came ${term - int} ms after SIGINT`);
    assert.equal(child.exitCode, null, 'still alive: no SIGKILL');
    child.kill('SIGKILL');
  });
});

describe('eventdispatcher tools: check-certificate', () => {
  const servers: tls.Server[] = [];
  const ports: Record<string, number> = {};
  before(async () => {
    for (const [name, days] of [['d20', 20], ['d10', 10]] as const) {
      const now = Date.now();
      const pems = await generate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'Test Org' }, { name: 'countryName', value: 'CA' }], {
        keySize: 2048,
        algorithm: 'sha256',
        notBeforeDate: new Date(now - 86_400_000),
        notAfterDate: new Date(now + days * 86_400_000 + 3_600_000),
      });
      const srv = tls.createServer({ key: pems.private, cert: pems.cert }, (s) => s.end());
      srv.on('tlsClientError', () => {});
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      servers.push(srv);
      ports[name] = (srv.address() as net.AddressInfo).port;
    }
  });
  after(() => {
    for (const s of servers) s.close();
  });

  it('exits 0 with 20 days left, 1 with 10 days left, 1 with --limit 30, 1 on a failed handshake', async () => {
    assert.equal((await run(['check-certificate', '--port', String(ports.d20), 'localhost'])).status, 0);
    assert.equal((await run(['check-certificate', '--port', String(ports.d10), 'localhost'])).status, 1);
    assert.equal((await run(['check-certificate', '--limit', '30', '--port', String(ports.d20), 'localhost'])).status, 1);
    const plain = await lineServer('not tls\n');
    const r = await run(['check-certificate', '--port', String(plain.port), 'localhost']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /error: failed to load the certificate from "localhost"\./);
    plain.close();
    assert.equal((await run(['check-certificate', '-l', 'abc', 'localhost'])).status, 1);
  });

  it('--info prints the dates and names in order, skipping empty fields', async () => {
    const r = await run(['check-certificate', '-i', '--port', String(ports.d20), 'localhost']);
    assert.equal(r.status, 0, r.stderr);
    const keys = r.stdout.trim().split('\n').map((l) => l.slice(0, l.indexOf(':')));
    assert.deepEqual(keys, ['domain', 'not-before', 'not-after', 'issuer-common-name', 'issuer-country-name', 'issuer-organization-name', 'subject-common-name', 'subject-country-name', 'subject-organization-name']);
    assert.match(r.stdout, /^not-after: \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/m);
  });
});
