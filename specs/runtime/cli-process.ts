// Runs a real `actor-runtime` process (the installed launcher) with a loader hook that records
// every module its main thread loads, for the start-up specs. The list is written to a file at
// exit, so stderr stays the command's own (a help run that writes there is not cached), and the
// file's path is the same for every run of a test file (the environment is part of the start-up
// caches' keys).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const bin = join(root, 'bin/actor-runtime.mjs');

export const LOADS_HOOK = `data:text/javascript,${encodeURIComponent(
  "import{registerHooks}from'node:module';import{writeFileSync}from'node:fs';const seen=[];registerHooks({load(u,c,n){seen.push(u);return n(u,c)}});process.on('exit',()=>writeFileSync(process.env.LOADED_TO,JSON.stringify(seen)))",
)}`;

const LOADS = mkdtempSync(join(tmpdir(), 'startup-loads-'));
process.on('exit', () => rmSync(LOADS, { recursive: true, force: true }));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Modules the main thread loaded, project files relative to the root (empty with another hook). */
  loaded: string[];
}

/** Runs `actor-runtime <args>` at the project's root with LOG_LEVEL=error; killed after 60 s. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, hook = LOADS_HOOK): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const loadedTo = join(LOADS, 'loaded.json');
    rmSync(loadedTo, { force: true });
    const child = spawn(process.execPath, ['--import', hook, bin, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'error', ...env, LOADED_TO: loadedTo } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const urls = existsSync(loadedTo) ? (JSON.parse(readFileSync(loadedTo, 'utf8')) as string[]) : [];
      resolve({ code, stdout, stderr, loaded: urls.map((u) => u.replace(`file://${root}`, '')) });
    });
  });
}
