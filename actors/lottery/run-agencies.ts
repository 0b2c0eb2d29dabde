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
//
// The agencies are spawned while the server starts, held (agency.ts): each has its machine built,
// its file open and its first batch read when the server listens, and the go only gives them its
// port. Spawned at the go, that work came after the server was up: its first connection came
// 13-16 ms after it listened (traced), now 3-6 ms.

import type { ClientCliOptions } from './config.ts';

export interface InProcessAgencies {
  /** One per agency, in order: its exit code. */
  runs: Promise<number>[];
  /** The server listens on `port`: the agencies start. */
  go(port: number): void;
  /** The server failed, or a signal came before the go: every agency ends with 0, having sent nothing. */
  cancel(): void;
  /** SIGINT/SIGTERM: agencies under way finish their exchange and stop (Ex4); before the go, cancel(). */
  terminate(): void;
}

const EXIT_LINE = /^client(\d+) exited with code (\d+)$/;

/** The port of held agencies' provisional settings: never connected to (the go brings the real one). */
const PORT_AT_GO = 1;

export function startInProcessAgencies(
  count: number,
  /** Each agency's options (the flags of `lottery agency`) for the server's port. */
  optionsFor: (port: number) => ClientCliOptions[],
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

  let goPort = 0;
  // Loaded while the server process starts (the kernel, the agency actors), and the agencies
  // spawned held; a provisional setting that fails is reported at the go, as before.
  const loading = (async () => {
    const [{ clientSettingsFromUpstream }, { ActorSystem }, { AgencyGroup, groupOutcome, setProgressSink }, { setThreadSink }] = await Promise.all([
      import('./config.ts'),
      import('../../runtime/kernel/system.ts'),
      import('./agencies.ts'),
      import('./tp0log.ts'),
    ]);
    const system = await ActorSystem.start({ name: 'agencies', threads: 0, logLevel: env.LOG_LEVEL ?? 'warn' });
    const settingsFor = (port: number) => optionsFor(port).map((c) => ({ ...clientSettingsFromUpstream(c, { ...env, CLI_ID: c.id }), source: `client${c.id}` }));
    let provisional: ReturnType<typeof settingsFor> | null = null;
    try {
      provisional = state === 'loading' ? settingsFor(PORT_AT_GO) : null;
    } catch {
      provisional = null; // settingsFor fails again at the go, and says why then
    }
    const spawnGroup = (clients: ReturnType<typeof settingsFor>, held: boolean) =>
      system.spawn(AgencyGroup, { name: 'agencies', thread: 'main', props: { clients, placement: 'main', progress: progress ? 'sink' : 'none', exitLines: true, held } });
    // Before the held agencies: a line their readers write ahead of the go (an invalid row in a
    // first batch, before its agency's config line) goes the way of every agency line.
    setThreadSink((text) => {
      const line = text.endsWith('\n') ? text.slice(0, -1) : text;
      emit(line);
      const m = EXIT_LINE.exec(line);
      if (m) exited(Number(m[1]), Number(m[2]), false);
    });
    if (progress) setProgressSink(progress);
    const heldGroup = provisional ? spawnGroup(provisional, true) : null;
    return { system, heldGroup, spawnGroup, settingsFor, groupOutcome, setThreadSink };
  })();

  const run = async (): Promise<void> => {
    let loaded: Awaited<typeof loading>;
    try {
      loaded = await loading;
    } catch (err) {
      process.stderr.write(`lottery run: the agencies could not start: ${(err as Error).message}\n`);
      return endAll(1);
    }
    const { system, heldGroup, spawnGroup, settingsFor, groupOutcome, setThreadSink } = loaded;
    if (state === 'cancelled') {
      await system.stop(1000);
      return;
    }
    let clients;
    try {
      clients = settingsFor(goPort);
    } catch (err) {
      process.stderr.write(`lottery run: the agencies could not start: ${(err as Error).message}\n`);
      await system.stop(1000);
      return endAll(1);
    }
    let group = heldGroup;
    if (group) group.tell({ t: 'go', clients });
    else group = spawnGroup(clients, false);
    terminateGroup = () => group.tell({ t: 'terminate' });
    if (terminateRequested) terminateGroup();
    const outcome = await groupOutcome(group.path);
    await system.stop(3000);
    setThreadSink(null);
    for (const id of [...settle.keys()]) exited(id, outcome.codes[id] ?? outcome.code, true);
  };

  return {
    runs,
    go(port: number) {
      if (state !== 'loading') return;
      state = 'running';
      goPort = port;
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
