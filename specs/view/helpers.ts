// Shared by the live view's tests: a demo topology on free ports in a temp folder, the demo under
// `run --view` as a real process, a Chromium to drive, and waiting for conditions.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const node = join(root, 'node_modules/.bin/node');
export const bin = join(root, 'bin/actor-runtime.ts');
/** Screenshots and other artefacts of these tests. */
export const outputDir = (): string => {
  const d = process.env.TEST_OUTPUT_DIR ? join(process.env.TEST_OUTPUT_DIR, 'view') : join(root, '.test-output', 'view');
  mkdirSync(d, { recursive: true });
  return d;
};

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 20_000, everyMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Debian's chromium, another Chromium on the PATH, or CHROMIUM_PATH; null when there is none. */
export function findChromium(): string | null {
  const env = process.env.CHROMIUM_PATH;
  if (env) return existsSync(env) ? env : null;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    const p = r.stdout.trim();
    if (r.status === 0 && p) return p;
  }
  return null;
}

/** The README's demo, on free ports, with its data and lock in `dir`, running `seconds`. */
export async function demoTopology(dir: string, seconds: number, name = `view-test-${process.pid}`): Promise<string> {
  const doc = YAML.parse(readFileSync(join(root, 'topologies/demo.yaml'), 'utf8'));
  const dispatcherPort = await freePort();
  const lotteryPort = await freePort();
  doc.name = name;
  doc.runForSeconds = seconds;
  doc.logLevel = 'info';
  doc.demo.dispatcherClient.port = dispatcherPort;
  const d = doc.dispatchers.instances[0];
  d.Port = dispatcherPort;
  d.Handler.Module = join(root, 'actors/dispatcher/examples/echo-service.ts');
  d.LockFile = join(dir, 'dispatcher.lock');
  doc.lottery.server.port = lotteryPort;
  doc.lottery.server.dataDir = join(dir, 'lottery');
  // The event dispatcher's router and the broker listen on fixed ports and sockets that another
  // test's demo may hold at the same moment (tests run two at a time); these tests do not use them.
  delete doc.eventdispatcher;
  delete doc.broker;
  const file = join(dir, 'demo.yaml');
  writeFileSync(file, YAML.stringify(doc));
  return file;
}

export interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function runCli(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(node, [bin, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'info', ...env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The view's URL from the run's log (`live view serving`). */
export async function viewUrl(p: Proc): Promise<string> {
  return waitFor(() => {
    for (const line of p.stderr().split('\n')) {
      if (!line.includes('live view serving')) continue;
      return (JSON.parse(line) as { url: string }).url;
    }
    if (p.child.exitCode !== null) throw new Error(`the run exited early:\n${p.stderr()}`);
    return null;
  }, 'the live view to serve', 30_000);
}

export async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) {
    p.child.kill('SIGTERM');
    const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
    await p.exited;
    clearTimeout(t);
  }
}
