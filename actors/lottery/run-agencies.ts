// `lottery run`'s agencies inside the launcher's own process (the default): the launcher has
// already paid for a Node start, and its main thread only relays the server's lines, so the N
// agencies run there as actors of a small system (no worker threads), each over its own real TCP
// connection to the server process. That saves the agency process's start-up (a Node boot and
// the kernel's modules, ~60-90 ms of CPU competing with the server's own start on two cores), the
// IPC gate, and a pipe hop per agency line. A worker thread was not chosen: it would boot and load
// the kernel again and post every line back to the main thread, for a thread that is idle anyway.
//
// Each agency's TP0 lines (with its `clientN | ` prefix) and its `clientN exited with code <n>`
// line, written when it finishes, go through the launcher's `emit` (stdout and the final check).

import type { ClientCliOptions } from './config.ts';

export interface InProcessAgencies {
  /** One per agency, in order: its exit code. */
  runs: Promise<number>[];
  /** The server listens: the agencies start. */
  go(): void;
  /** The server failed, or a signal came before the go: every agency ends with 0, having sent nothing. */
  cancel(): void;
  /** SIGINT/SIGTERM: agencies under way finish their exchange and stop (Ex4); before the go, cancel(). */
  terminate(): void;
}

const EXIT_LINE = /^client(\d+) exited with code (\d+)$/;

export function startInProcessAgencies(
  count: number,
  /** Each agency's options (the flags of `lottery agency`), read at the go: the server's port is known then. */
  optionsAtGo: () => ClientCliOptions[],
  env: NodeJS.ProcessEnv,
  emit: (line: string) => void,
  progress: ((id: number, pct: number, bets: number) => void) | null,
): InProcessAgencies {
  const settle = new Map<number, (code: number) => void>();
  const runs = Array.from({ length: count }, (_, i) => new Promise<number>((resolve) => settle.set(i + 1, resolve)));
  const exited = (id: number, code: number, line: boolean): void => {
    const s = settle.get(id);
    if (!s) return;
    settle.delete(id);
    if (line) emit(`client${id} exited with code ${code}`);
    s(code);
  };
  const endAll = (code: number): void => {
    for (const id of [...settle.keys()]) exited(id, code, true);
  };
  let state: 'loading' | 'running' | 'cancelled' = 'loading';
  let terminateRequested = false;
  let terminateGroup: (() => void) | null = null;

  // Loaded while the server process starts (the kernel, the agency actors).
  const loading = (async () => {
    const [{ clientSettingsFromUpstream }, { ActorSystem }, { AgencyGroup, groupOutcome, setProgressSink }, { setThreadSink }] = await Promise.all([
      import('./config.ts'),
      import('../../runtime/kernel/system.ts'),
      import('./agencies.ts'),
      import('./tp0log.ts'),
    ]);
    const system = await ActorSystem.start({ name: 'agencies', threads: 0, logLevel: env.LOG_LEVEL ?? 'warn' });
    return { system, AgencyGroup, groupOutcome, setProgressSink, setThreadSink, clientSettingsFromUpstream };
  })();

  const run = async (): Promise<void> => {
    let loaded: Awaited<typeof loading>;
    try {
      loaded = await loading;
    } catch (err) {
      process.stderr.write(`lottery run: the agencies could not start: ${(err as Error).message}\n`);
      return endAll(1);
    }
    const { system, AgencyGroup, groupOutcome, setProgressSink, setThreadSink, clientSettingsFromUpstream } = loaded;
    if (state === 'cancelled') {
      await system.stop(1000);
      return;
    }
    let clients;
    try {
      clients = optionsAtGo().map((c) => ({ ...clientSettingsFromUpstream(c, { ...env, CLI_ID: c.id }), source: `client${c.id}` }));
    } catch (err) {
      process.stderr.write(`lottery run: the agencies could not start: ${(err as Error).message}\n`);
      await system.stop(1000);
      return endAll(1);
    }
    setThreadSink((text) => {
      const line = text.endsWith('\n') ? text.slice(0, -1) : text;
      emit(line);
      const m = EXIT_LINE.exec(line);
      if (m) exited(Number(m[1]), Number(m[2]), false);
    });
    if (progress) setProgressSink(progress);
    const group = system.spawn(AgencyGroup, { name: 'agencies', thread: 'main', props: { clients, placement: 'main', progress: progress ? 'sink' : 'none', exitLines: true } });
    terminateGroup = () => group.tell({ t: 'terminate' });
    if (terminateRequested) terminateGroup();
    const outcome = await groupOutcome(group.path);
    await system.stop(3000);
    setThreadSink(null);
    for (const id of [...settle.keys()]) exited(id, outcome.codes[id] ?? outcome.code, true);
  };

  return {
    runs,
    go() {
      if (state !== 'loading') return;
      state = 'running';
      void run();
    },
    cancel() {
      if (state !== 'loading') return;
      state = 'cancelled';
      void loading.then((l) => l.system.stop(1000), () => {});
      endAll(0);
    },
    terminate() {
      if (state === 'loading') return this.cancel();
      terminateRequested = true;
      terminateGroup?.();
    },
  };
}
