// `actor-runtime stop` (ed-stop, eventdispatcher.md §6.2): asks a process to stop with SIGINT,
// then SIGTERM, probing every second; never SIGKILL. Exit 0 also when it survives [KEEP].

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ToolError } from './settings.ts';
import { runTool } from './run-tool.ts';

export const DEFAULT_TIMEOUT_S = 60;
const TERM_WAIT_S = 10;

export function buildStop(cmd: Command): Command {
  return cmd
    .description('stop a service: SIGINT, then SIGTERM after the timeout; never SIGKILL')
    .option('-s, --service <pid|name>', 'the PID, or the service whose main PID the service manager knows')
    .option('--server <pid|name>', 'same as --service')
    .option('-p, --process-name <name>', 'search processes by this name when the service manager has no PID')
    .option('-t, --timeout <seconds>', `how long to wait after SIGINT (default ${DEFAULT_TIMEOUT_S}, clamped to 10..3600)`);
}

/** Seconds, clamped to 10..3600 (default 60). */
export function clampTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_S;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new ToolError(`--timeout expects a number of seconds, not "${text}".`);
  return Math.min(3600, Math.max(10, n));
}

/** The service manager's main PID for `name` (0 when not running). */
function mainPid(name: string): number {
  let out: string;
  try {
    out = execFileSync('systemctl', ['show', '--property=MainPID', '--value', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch (err) {
    throw new ToolError(`cannot read the main PID of "${name}" from the service manager: ${(err as Error).message.split('\n')[0]}`);
  }
  if (out.length > 31 || !/^[0-9]+$/.test(out)) throw new ToolError(`the service manager gave "${out.slice(0, 40)}" as the main PID of "${name}".`);
  return Number(out);
}

/** The first process whose name (comm) is `name`, or 0. */
function pidByName(name: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name.slice(0, 15)) return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  return 0;
}

/** true: alive; false: gone. Throws ToolError on EPERM. */
function alive(pid: number, label: string): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') throw new ToolError(`sending signals to "${label}" (${pid}) is not permitted.`);
    throw err;
  }
}

async function waitGone(pid: number, label: string, seconds: number): Promise<boolean> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    if (!alive(pid, label)) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, end - Date.now()))));
  }
}

export function runStop(argv: string[]): Promise<number> {
  return runTool('ed-stop', 'actor-runtime stop', 'ED_STOP', argv, buildStop, async (opts) => {
    const target = (opts.service ?? opts.server) as string | undefined;
    if (target === undefined) throw new ToolError('--service parameter is mandatory.');
    if (target === '') return 0; // an unset main PID: nothing to stop
    const timeout = clampTimeout(opts.timeout as string | undefined);
    let pid: number;
    if (/^[0-9]+$/.test(target)) {
      pid = Number(target);
      if (pid === 0) throw new ToolError('0 is not a valid PID.');
    } else {
      const byName = opts.processName as string | undefined;
      try {
        pid = mainPid(target);
      } catch (err) {
        // No service manager here (a container): the process name is the only way left.
        if (byName === undefined) throw err;
        pid = 0;
      }
      if (pid === 0 && byName !== undefined) pid = pidByName(byName);
      if (pid === 0) return 0; // not running
    }
    if (!alive(pid, target)) throw new ToolError(`"${target}" (${pid}) is not running.`);
    process.kill(pid, 'SIGINT');
    if (await waitGone(pid, target, timeout)) return 0;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return 0; // it went away in between
    }
    if (await waitGone(pid, target, TERM_WAIT_S)) return 0;
    process.stdout.write(`ed-stop: kill() had no effect on "${target}" within the timeout period.\n`);
    return 0;
  });
}
