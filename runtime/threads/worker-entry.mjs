// Entry of every worker thread, plain JavaScript on purpose: it turns the compile cache on in this
// thread before worker.ts and its graph are loaded, so their stripped and compiled code comes from
// the cache (NODE_COMPILE_CACHE, set by bin/actor-runtime.mjs) instead of being compiled again.
import { enableCompileCache } from 'node:module';
import { workerData } from 'node:worker_threads';

if (process.env.NODE_COMPILE_CACHE && !process.env.NODE_DISABLE_COMPILE_CACHE) enableCompileCache(process.env.NODE_COMPILE_CACHE);
// The actor modules start loading together with the kernel, not after the pool asks for them:
// the pool's `preload` then awaits these same imports (one module map), and reports their errors.
for (const m of workerData?.preload ?? []) import(m).catch(() => {});
await import('./worker.ts');
