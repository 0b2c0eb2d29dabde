// The modules that define lottery actors: every worker thread imports them at start.
export const LOTTERY_MODULES = ['./server.ts', './acceptor.ts', './connection.ts', './betstore.ts', './coordinator.ts', './agency.ts', './reader.ts', './agencies.ts'].map(
  (m) => new URL(m, import.meta.url).href,
);

/** The server side only: what a `lottery server` process's worker threads preload. */
export const LOTTERY_SERVER_MODULES = ['./server.ts', './acceptor.ts', './connection.ts', './betstore.ts', './coordinator.ts'].map((m) => new URL(m, import.meta.url).href);
