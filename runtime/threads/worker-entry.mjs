// Entry of every worker thread (plain JavaScript: it runs before any TypeScript of the thread).
// The actor modules start loading together with the kernel, not after the pool asks for them:
// the pool's `preload` then awaits these same imports (one module map), and reports their errors.
// (The compile cache needs nothing here: Node turns it on in every thread from NODE_COMPILE_CACHE.)
import { workerData } from 'node:worker_threads';

for (const m of workerData?.preload ?? []) import(m).catch(() => {});
await import('./worker.ts');
